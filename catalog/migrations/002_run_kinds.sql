-- Runs of every kind: restores, prunes and S3 syncs appear in /runs like backups. A prune
-- or a sync belongs to a repository, not a job; a restore may target another agent.

ALTER TABLE runs DROP CONSTRAINT runs_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('backup', 'restore', 'prune', 's3-sync'));
ALTER TABLE runs ALTER COLUMN job_id DROP NOT NULL;
ALTER TABLE runs ADD COLUMN repository_id bigint REFERENCES repositories(id);
-- The agent whose worker does the work (the restore target for restores).
ALTER TABLE runs ADD COLUMN agent_name text;
-- Kind-specific outcome: restore target and verification, prune result, sync statistics.
ALTER TABLE runs ADD COLUMN details jsonb;
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('queued', 'awaiting-approval', 'running', 'succeeded', 'warning', 'failed', 'cancelled'));
UPDATE runs r SET repository_id = j.repository_id, agent_name = a.name
  FROM jobs j JOIN agents a ON a.id = j.agent_id WHERE r.job_id = j.id;
CREATE INDEX runs_repository_started ON runs (repository_id, started_at DESC);
