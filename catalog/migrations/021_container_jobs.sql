-- Container jobs (issue 19 item 3): a system container's root filesystem and configuration,
-- backed up through the files pipeline over paths its agent finds at each run. A container
-- job has no paths of its own: its source is the `container` object (contract/container.ts
-- ContainerSource), validated by the API.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('files', 'guest', 'container'));
ALTER TABLE jobs ADD COLUMN container jsonb CHECK (container IS NULL OR jsonb_typeof(container) = 'object');
ALTER TABLE jobs DROP CONSTRAINT jobs_source_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_source_check CHECK (
  (kind = 'files' AND guest IS NULL AND container IS NULL AND cardinality(paths) > 0)
  OR (kind = 'guest' AND guest IS NOT NULL AND container IS NULL AND cardinality(paths) = 0)
  OR (kind = 'container' AND container IS NOT NULL AND guest IS NULL AND cardinality(paths) = 0));
