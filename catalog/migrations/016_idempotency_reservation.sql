-- An Idempotency-Key is committed with the run id and workflow id it is for *before* the
-- workflow starts (issue 16's crash soak: an API killed between starting the workflow and
-- committing the key left a run that the client's resend, sent to another API, could not
-- find — and started a second one). A key may therefore name a run whose row does not exist
-- yet, or never will (the API died before starting anything and no resend came): the key
-- expires with the retention window like any other, and the foreign key goes.
ALTER TABLE run_idempotency_keys DROP CONSTRAINT run_idempotency_keys_run_id_fkey;
ALTER TABLE run_idempotency_keys ADD COLUMN workflow_id text;
UPDATE run_idempotency_keys k SET workflow_id = r.workflow_id FROM runs r WHERE r.id = k.run_id;
-- A key whose run is gone (none can be today: the foreign key kept them) is of no use.
DELETE FROM run_idempotency_keys WHERE workflow_id IS NULL;
ALTER TABLE run_idempotency_keys ALTER COLUMN workflow_id SET NOT NULL;
