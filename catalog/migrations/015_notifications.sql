-- Notifications (issue 15): channels (where messages go), rules (which events of which runs
-- go to which channel) and deliveries (one per run, event and channel, with its attempts).

CREATE TABLE notification_channels (
  id              bigserial PRIMARY KEY,
  name            text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$'),
  kind            text NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'mattermost', 'discord', 'ntfy', 'gotify', 'healthchecks')),
  -- Non-secret settings as the channel kind validated them.
  settings        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
  -- Names of the secret fields that are set: what the API shows instead of their values.
  secret_fields   text[] NOT NULL DEFAULT '{}',
  -- AES-256-GCM under the master key, bound to 'notification-channel:<id>'; null without secrets.
  secrets_sealed  text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((secrets_sealed IS NULL) = (cardinality(secret_fields) = 0))
);

CREATE TABLE notification_rules (
  id             bigserial PRIMARY KEY,
  channel_id     bigint NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
  -- Which events; never empty ('test' is the test button's, never a rule's).
  events         text[] NOT NULL CHECK (
                   cardinality(events) > 0
                   AND events <@ ARRAY['run.started', 'run.succeeded', 'run.warning', 'run.failed', 'job.stale', 'agent.unreachable',
                                       'restore.awaiting_approval', 'prune.failed', 'sync.failed']::text[]),
  scope          text NOT NULL CHECK (scope IN ('global', 'job', 'repository')),
  job_id         bigint REFERENCES jobs(id) ON DELETE CASCADE,
  repository_id  bigint REFERENCES repositories(id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- Exactly the id its scope names, and no other.
  CHECK (
    (scope = 'global' AND job_id IS NULL AND repository_id IS NULL)
    OR (scope = 'job' AND job_id IS NOT NULL AND repository_id IS NULL)
    OR (scope = 'repository' AND repository_id IS NOT NULL AND job_id IS NULL)
  )
);
CREATE INDEX notification_rules_channel ON notification_rules (channel_id);

CREATE TABLE notification_deliveries (
  id              bigserial PRIMARY KEY,
  -- Null for events that are not about a run (job.stale, agent.unreachable).
  run_id          uuid REFERENCES runs(id) ON DELETE CASCADE,
  channel_id      bigint NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
  event           text NOT NULL CHECK (event IN ('run.started', 'run.succeeded', 'run.warning', 'run.failed', 'job.stale', 'agent.unreachable',
                                                 'restore.awaiting_approval', 'prune.failed', 'sync.failed')),
  -- The delivery workflow's id: one delivery per (run, event, channel), whoever asks twice.
  workflow_id     text NOT NULL UNIQUE,
  -- Who or what an event without a run is about ({jobId} or {agent}); null for run events.
  subject         jsonb,
  occurred_at     timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      text,
  answer_status   integer,
  answer_detail   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  delivered_at    timestamptz,
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX notification_deliveries_run ON notification_deliveries (run_id);

-- What the health watch last saw of each job and agent ('job:<id>', 'agent:<name>'), so
-- job.stale and agent.unreachable are raised once per change of state, not on every look.
CREATE TABLE notification_watch (
  subject     text PRIMARY KEY CHECK (subject ~ '^(job|agent):.+$'),
  bad         boolean NOT NULL,
  -- When the current state began, as the data says (the last success, the last heartbeat).
  since       timestamptz NOT NULL,
  -- The watch's latest look at it.
  checked_at  timestamptz NOT NULL DEFAULT now()
);
