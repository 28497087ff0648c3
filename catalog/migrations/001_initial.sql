-- The first catalog: agents, repositories, jobs, runs, snapshots and API tokens.

CREATE TABLE agents (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  hostname      text,
  version       text,
  last_seen_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE repositories (
  id               bigserial PRIMARY KEY,
  name             text NOT NULL UNIQUE,
  url              text NOT NULL UNIQUE,
  engine           text NOT NULL DEFAULT 'restic' CHECK (engine IN ('restic')),
  -- AES-256-GCM under the master key, bound to 'repository:<id>'; never plaintext.
  password_sealed  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
  id             bigserial PRIMARY KEY,
  name           text NOT NULL UNIQUE,
  agent_id       bigint NOT NULL REFERENCES agents(id),
  repository_id  bigint NOT NULL REFERENCES repositories(id),
  paths          text[] NOT NULL CHECK (cardinality(paths) > 0),
  excludes       text[] NOT NULL DEFAULT '{}',
  snapshot_mode  text NOT NULL DEFAULT 'none' CHECK (snapshot_mode IN ('none')),
  pre_script     text,
  post_hook      text,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
  id              uuid PRIMARY KEY,
  job_id          bigint NOT NULL REFERENCES jobs(id),
  kind            text NOT NULL CHECK (kind IN ('backup')),
  workflow_id     text NOT NULL UNIQUE,
  status          text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'warning', 'failed', 'cancelled')),
  snapshot_id     text,
  stats           jsonb,
  warnings        jsonb NOT NULL DEFAULT '[]',
  failure_reason  text,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX runs_job_started ON runs (job_id, started_at DESC);

CREATE TABLE snapshots (
  id             text NOT NULL,
  repository_id  bigint NOT NULL REFERENCES repositories(id),
  job_id         bigint REFERENCES jobs(id),
  run_id         uuid REFERENCES runs(id),
  time           timestamptz NOT NULL,
  hostname       text,
  paths          text[] NOT NULL DEFAULT '{}',
  tags           text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, id)
);
CREATE INDEX snapshots_job_time ON snapshots (job_id, time DESC);

CREATE TABLE api_tokens (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  -- sha256 of the token; the token itself is shown once.
  token_hash  text NOT NULL UNIQUE,
  scope       text NOT NULL CHECK (scope IN ('admin', 'agent')),
  agent_name  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CHECK ((scope = 'agent') = (agent_name IS NOT NULL))
);
