-- Repository checks (restic check, borg check) are runs too: kind 'check', of a repository.
ALTER TABLE runs DROP CONSTRAINT runs_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('backup', 'restore', 'prune', 's3-sync', 'plugin-test', 'db-restore', 'check'));
