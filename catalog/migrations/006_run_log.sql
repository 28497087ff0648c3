-- The run log: every line the hooks and the engine print during a run, redacted before it
-- is stored (core/redact.ts), with its time and the step it came from.

CREATE TABLE run_log (
  run_id   uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  -- Orders the lines of one run and resumes a live tail (SSE Last-Event-ID); gaps possible.
  seq      bigint NOT NULL,
  at       timestamptz NOT NULL,
  step     text NOT NULL,
  stream   text NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  line     text NOT NULL,
  -- Who produced the line: the Temporal activity id, its attempt, and the line's index in
  -- that attempt. A batch sent twice is stored once; a retried attempt's lines are kept,
  -- marked with their attempt.
  source   text NOT NULL,
  attempt  integer NOT NULL CHECK (attempt >= 1),
  n        integer NOT NULL CHECK (n >= 0),
  PRIMARY KEY (run_id, seq),
  UNIQUE (run_id, source, attempt, n)
);

-- One row per run with a log: the next seq and how many lines are stored. Appends lock
-- this row, so the lines of a run commit in seq order and a tail never skips one.
CREATE TABLE run_log_state (
  run_id    uuid PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  next_seq  bigint NOT NULL DEFAULT 1,
  lines     integer NOT NULL DEFAULT 0
);

-- GET /v1/runs pages by (started_at, id) and filters by status and agent.
CREATE INDEX runs_started_id ON runs (started_at DESC, id DESC);
CREATE INDEX runs_job_finished ON runs (job_id, finished_at DESC) WHERE kind = 'backup';
