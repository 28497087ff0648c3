-- Deleting a job or a repository (issue 18) takes it out of the API's lists, its schedules
-- out of Temporal, and never loses backup data or history: the row stays, marked deleted, so
-- the job's runs and snapshots (rows that name it) stay readable and its snapshots restorable.
-- Nothing is removed from the repository itself. A deleted one's name (and a repository's
-- location) is free again: the uniqueness holds among the live ones only.
ALTER TABLE jobs ADD COLUMN deleted_at timestamptz;
ALTER TABLE jobs DROP CONSTRAINT jobs_name_key;
CREATE UNIQUE INDEX jobs_live_name ON jobs (name) WHERE deleted_at IS NULL;

ALTER TABLE repositories ADD COLUMN deleted_at timestamptz;
ALTER TABLE repositories DROP CONSTRAINT repositories_name_key;
ALTER TABLE repositories DROP CONSTRAINT repositories_url_key;
CREATE UNIQUE INDEX repositories_live_name ON repositories (name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX repositories_live_url ON repositories (url) WHERE deleted_at IS NULL;
