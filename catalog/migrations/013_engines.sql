-- Engines (issue 14): a repository names restic, borg or pbs (proxmox-backup-client).
-- `options` holds what the engine needs beside the location that is not secret (borg:
-- appendOnly and the SSH server's known_hosts; pbs: fingerprint and namespace);
-- `backend_sealed` the secrets beside the password (borg: the SSH private key; pbs: the
-- client encryption key and its password), sealed under 'repository-backend:<id>'.
ALTER TABLE repositories DROP CONSTRAINT IF EXISTS repositories_engine_check;
ALTER TABLE repositories ADD CONSTRAINT repositories_engine_check CHECK (engine IN ('restic', 'borg', 'pbs'));
ALTER TABLE repositories ADD COLUMN options jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE repositories ADD COLUMN backend_sealed text;
