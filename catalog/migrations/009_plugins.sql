-- Plugins and scripts (issue 5).
--
-- Named plugin configurations belong to one agent (Borg Backup Server's model); a job
-- attaches several, in order. Their credentials are sealed with the master key, bound to
-- 'plugin-config:<id>', and handed only to the configuration's own agent.
CREATE TABLE plugin_configs (
  id              bigserial PRIMARY KEY,
  agent_id        bigint NOT NULL REFERENCES agents(id),
  name            text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  plugin          text NOT NULL CHECK (plugin ~ '^[a-z][a-z0-9_]{1,40}$'),
  -- The plain settings; never a secret field.
  settings        jsonb NOT NULL DEFAULT '{}',
  -- JSON object of the secret fields, AES-256-GCM sealed; null when it has none.
  secrets_sealed  text,
  -- Names of the sealed fields, so the API can say which are set without opening them.
  secret_fields   text[] NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, name)
);

CREATE TABLE job_plugin_configs (
  job_id     bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  -- RESTRICT: a configuration in use cannot be deleted (the API answers 409 naming the jobs).
  config_id  bigint NOT NULL REFERENCES plugin_configs(id) ON DELETE RESTRICT,
  position   integer NOT NULL,
  PRIMARY KEY (job_id, config_id)
);
CREATE INDEX job_plugin_configs_config ON job_plugin_configs (config_id);

-- The server-side script library: shell scripts run on the server worker around a backup.
CREATE TABLE scripts (
  id               bigserial PRIMARY KEY,
  name             text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$'),
  description      text,
  body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 65536),
  timeout_seconds  integer NOT NULL DEFAULT 600 CHECK (timeout_seconds BETWEEN 1 AND 86400),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE job_scripts (
  job_id     bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  script_id  bigint NOT NULL REFERENCES scripts(id) ON DELETE RESTRICT,
  phase      text NOT NULL CHECK (phase IN ('pre', 'post')),
  position   integer NOT NULL,
  PRIMARY KEY (job_id, phase, script_id)
);
CREATE INDEX job_scripts_script ON job_scripts (script_id);

-- Plugin tests and database restores are runs too.
ALTER TABLE runs DROP CONSTRAINT runs_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('backup', 'restore', 'prune', 's3-sync', 'plugin-test', 'db-restore'));
