-- Retention and prune: a job's retention policy (NULL keeps every snapshot), and an
-- optional server-side command run after each prune of a repository.

-- {keepLast?, keepHourly?, keepDaily?, keepWeekly?, keepMonthly?, keepYearly?,
--  keepWithin?, keepTags?}, validated by contract/retention.ts before it is stored.
ALTER TABLE jobs ADD COLUMN retention jsonb CHECK (retention IS NULL OR jsonb_typeof(retention) = 'object');
ALTER TABLE repositories ADD COLUMN post_prune_script text;
