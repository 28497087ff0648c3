-- Server restores (issue 13): a restore's engine runs either on its target agent, which then
-- may fetch the repository's secret while the run is active, or on the server worker, writing
-- through the agent's export of the target, so that agent is never handed the secret.

ALTER TABLE runs ADD COLUMN engine_site text NOT NULL DEFAULT 'agent' CHECK (engine_site IN ('agent', 'server'));
