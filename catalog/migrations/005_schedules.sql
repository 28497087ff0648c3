-- Schedules: when a job backs up, and when a repository is pruned or synced to S3, on its
-- own. The catalog holds the definition; a Temporal Schedule with the same id does the
-- firing and is made to match this row (on every change and at API start-up).

CREATE TABLE schedules (
  -- The Temporal Schedule id (contract/names.ts scheduleIdFor).
  id             text PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('backup', 'prune', 's3-sync')),
  job_id         bigint REFERENCES jobs(id) ON DELETE CASCADE,
  repository_id  bigint REFERENCES repositories(id) ON DELETE CASCADE,
  -- core/schedule.ts NormalizedSchedule, validated before it is stored.
  definition     jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  paused         boolean NOT NULL DEFAULT false,
  -- Why it is paused (or was resumed), as the operator said it.
  note           text,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'backup') = (job_id IS NOT NULL)),
  CHECK ((kind = 'backup') = (repository_id IS NULL)),
  UNIQUE (kind, job_id),
  UNIQUE (kind, repository_id)
);
