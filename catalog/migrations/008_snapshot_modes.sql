-- Filesystem snapshots: a job may ask its agent to freeze the source paths first (btrfs, LVM,
-- ZFS, or whatever each path's filesystem offers).

ALTER TABLE jobs DROP CONSTRAINT jobs_snapshot_mode_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_snapshot_mode_check CHECK (snapshot_mode IN ('none', 'auto', 'btrfs', 'lvm', 'zfs'));
