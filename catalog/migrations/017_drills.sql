-- Restore drills (issue 17): a drill is a run of its own kind; every job has a drill schedule
-- (a Temporal Schedule, like its backup schedule) and drill settings; drill.failed and
-- drill.stale are events notification rules can name.

ALTER TABLE runs DROP CONSTRAINT runs_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('backup', 'restore', 'prune', 's3-sync', 'plugin-test', 'db-restore', 'check', 'drill'));
-- GET /v1/jobs reads each job's last drill, last passing drill and running drill.
CREATE INDEX runs_job_kind_started ON runs (job_id, kind, started_at DESC);

-- What the job's drill samples and checks (contract/drill.ts DrillSettings): the fields that
-- were set, validated; the defaults fill in the rest when it runs. Null: every default.
ALTER TABLE jobs ADD COLUMN drill_settings jsonb CHECK (drill_settings IS NULL OR jsonb_typeof(drill_settings) = 'object');

-- Drill schedules belong to a job, as backup schedules do.
ALTER TABLE schedules DROP CONSTRAINT schedules_kind_check;
ALTER TABLE schedules ADD CONSTRAINT schedules_kind_check CHECK (kind IN ('backup', 'prune', 's3-sync', 'drill'));
ALTER TABLE schedules DROP CONSTRAINT schedules_check;
ALTER TABLE schedules DROP CONSTRAINT schedules_check1;
ALTER TABLE schedules ADD CONSTRAINT schedules_owner_job CHECK ((kind IN ('backup', 'drill')) = (job_id IS NOT NULL));
ALTER TABLE schedules ADD CONSTRAINT schedules_owner_repository CHECK ((kind IN ('backup', 'drill')) = (repository_id IS NULL));

-- Every job that existed before drills gets the default drill schedule: weekly, at a minute of
-- the week its id spreads (core/drill.ts defaultDrillSchedule, normalized; core/drill.test.ts
-- holds the two together). The API's start-up reconcile creates their Temporal Schedules.
INSERT INTO schedules (id, kind, job_id, repository_id, definition)
SELECT 'drill-schedule/' || j.id, 'drill', j.id, NULL,
       jsonb_build_object(
         'cron', '[]'::jsonb,
         'calendars', '[]'::jsonb,
         'intervals', jsonb_build_array(jsonb_build_object('everySeconds', 604800, 'offsetSeconds', ((j.id * 7919) % 10080) * 60)),
         'timezone', 'UTC',
         'jitterSeconds', 0,
         'overlap', 'skip',
         'catchupWindowSeconds', 3600,
         'pauseOnFailure', false)
  FROM jobs j
ON CONFLICT (id) DO NOTHING;

-- The drill events.
ALTER TABLE notification_rules DROP CONSTRAINT notification_rules_events_check;
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_events_check CHECK (
  cardinality(events) > 0
  AND events <@ ARRAY['run.started', 'run.succeeded', 'run.warning', 'run.failed', 'job.stale', 'agent.unreachable',
                      'restore.awaiting_approval', 'prune.failed', 'sync.failed', 'drill.failed', 'drill.stale']::text[]);
ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_event_check;
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_event_check CHECK (
  event IN ('run.started', 'run.succeeded', 'run.warning', 'run.failed', 'job.stale', 'agent.unreachable',
            'restore.awaiting_approval', 'prune.failed', 'sync.failed', 'drill.failed', 'drill.stale'));
-- The health watch remembers each job's drill freshness too ('drill:<job id>').
ALTER TABLE notification_watch DROP CONSTRAINT notification_watch_subject_check;
ALTER TABLE notification_watch ADD CONSTRAINT notification_watch_subject_check CHECK (subject ~ '^(job|agent|drill):.+$');
