-- S3: repositories that live on S3 (restic's s3 backend) keep their access keys here, and
-- a repository may have one S3 bucket it is mirrored to (the offsite copy).

-- AES-256-GCM under the master key, bound to 'repository-s3:<id>': the JSON
-- {accessKeyId, secretAccessKey, region}. NULL for repositories on a local path.
ALTER TABLE repositories ADD COLUMN s3_sealed text;

CREATE TABLE repository_sync_targets (
  repository_id    bigint PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  endpoint         text NOT NULL,
  bucket           text NOT NULL,
  -- Key prefix inside the bucket, no leading or trailing slash; '' for the bucket root.
  prefix           text NOT NULL DEFAULT '',
  region           text,
  -- AES-256-GCM under the master key, bound to 'repository-sync:<id>': the JSON
  -- {accessKeyId, secretAccessKey}. The API shows the access key id, never the secret.
  credentials_sealed text NOT NULL,
  -- rclone --bwlimit syntax ("10M"); NULL for no limit.
  bandwidth_limit  text,
  transfers        integer CHECK (transfers BETWEEN 1 AND 64),
  checksum         boolean NOT NULL DEFAULT false,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
