-- Pull mode (issue 13): a job either has its agent run the engine against the repository
-- (push, what every job did before) or has the agent export a read-only view of its paths
-- that the server worker backs up itself, so the agent never holds the repository password.

ALTER TABLE jobs ADD COLUMN mode text NOT NULL DEFAULT 'push' CHECK (mode IN ('push', 'pull'));
