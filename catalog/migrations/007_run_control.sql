-- Run control: who asked for a run's cancellation, and Idempotency-Key of run requests.

-- The name of the API token that asked for the cancellation (the first one; a second
-- cancel changes nothing), when, and its note. Set while the run is still stopping.
ALTER TABLE runs ADD COLUMN cancelled_by text;
ALTER TABLE runs ADD COLUMN cancel_requested_at timestamptz;
ALTER TABLE runs ADD COLUMN cancel_note text;

-- One run per Idempotency-Key: the key row is inserted in the same transaction as the
-- run row, so two concurrent requests with one key cannot both commit a run. `scope`
-- names what the key started (`runJob:4`); the same key for another target is a conflict.
-- Keys older than the retention window (24 h) are ignored and purged.
CREATE TABLE run_idempotency_keys (
  key         text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
  scope       text NOT NULL,
  -- Deferred: the key goes in first, so a concurrent request with the same key waits on
  -- it before doing anything else; the run row follows in the same transaction.
  run_id      uuid NOT NULL REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_idempotency_keys_created ON run_idempotency_keys (created_at);
