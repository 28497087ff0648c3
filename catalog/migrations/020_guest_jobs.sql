-- Guest jobs (issue 19): a job's source is either files on its agent (every job before) or a
-- VM guest on the agent's host, read through QEMU (QMP socket, disks by block node, the
-- guest's configuration files stored beside its disks). A guest job has no paths: its
-- source is the `guest` object (contract/guest.ts GuestSource), validated by the API.
ALTER TABLE jobs ADD COLUMN kind text NOT NULL DEFAULT 'files' CHECK (kind IN ('files', 'guest'));
ALTER TABLE jobs ADD COLUMN guest jsonb CHECK (guest IS NULL OR jsonb_typeof(guest) = 'object');
ALTER TABLE jobs DROP CONSTRAINT jobs_paths_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_source_check CHECK (
  (kind = 'files' AND guest IS NULL AND cardinality(paths) > 0)
  OR (kind = 'guest' AND guest IS NOT NULL AND cardinality(paths) = 0));
