// The walls of lint/rooms.mjs, each shown failing on a deliberate violation: probe files laid
// out like the repository in a temporary directory, linted by the real eslint with the walls'
// config. A legal probe beside each proves the rule is not simply failing everything.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');
const ESLINT = join(ROOT, 'node_modules', '.bin', 'eslint');

/** file → an import it makes; `wall` is the room whose rule must fire, or null when it is legal. */
const PROBES: { file: string; source: string; wall: string | null }[] = [
  // agent code never reaches the server's side
  { file: 'activities/agent/probe-catalog.ts', source: "import { createPool } from '../../catalog/db';", wall: 'agent' },
  { file: 'activities/agent/probe-server.ts', source: "import type { X } from '../server/backup-activities';", wall: 'agent' },
  { file: 'workers/agent/probe-api.ts', source: "import { createApp } from '../../api/app';", wall: 'agent' },
  { file: 'activities/agent/probe-ok.ts', source: "import { runProcess } from '../shared/process';", wall: null },
  // server code never runs agent code
  { file: 'activities/server/probe-agent.ts', source: "import { createAgentActivities } from '../agent/backup-activities';", wall: 'server' },
  { file: 'api/routes/probe-agent.ts', source: "import type { Y } from '../../workers/agent/agent-worker';", wall: 'server' },
  { file: 'activities/server/probe-ok.ts', source: "import { createPool } from '../../catalog/db';", wall: null },
  // workflows import only the contract
  { file: 'workflows/probe-activity.ts', source: "import type { Z } from '../activities/server/backup-activities';", wall: 'workflows' },
  { file: 'workflows/probe-core.ts', source: "import { loadConfig } from '../core/config';", wall: 'workflows' },
  { file: 'workflows/probe-node.ts', source: "import { readFileSync } from 'node:fs';", wall: 'workflows' },
  { file: 'workflows/probe-ok.ts', source: "import { SERVER_TASK_QUEUE } from '../contract/names';\nimport { proxyActivities } from '@temporalio/workflow';", wall: null },
  // the API does not embed worker code
  { file: 'api/probe-worker.ts', source: "import { runServerWorker } from '../workers/server/server-worker';", wall: 'api' },
  { file: 'api/probe-workflow.ts', source: "import type { backupWorkflow } from '../workflows/backup';", wall: 'api' },
  { file: 'api/probe-ok.ts', source: "import { connectClient } from '../core/temporal-connection';", wall: null },
  // code both sides run depends on neither
  { file: 'activities/shared/probe-agent.ts', source: "export * from '../agent/secret-source';", wall: 'shared' },
  { file: 'core/probe-catalog.ts', source: "const db = require('../catalog/db');", wall: 'shared' },
  // the contract imports nothing with side effects
  { file: 'contract/probe-pg.ts', source: "import { Pool } from 'pg';", wall: 'contract' },
  { file: 'contract/probe-core.ts', source: "import { createLogger } from '../core/logger';", wall: 'contract' },
  // storage, activities, workers and the CLI keep to their side
  { file: 'catalog/probe-api.ts', source: "import { problem } from '../api/problem';", wall: 'catalog' },
  { file: 'activities/server/probe-worker.ts', source: "import { connectWorker } from '../../workers/server/server-worker';", wall: 'activities' },
  { file: 'workers/embedded/probe-cli.ts', source: "import { main } from '../../cli/main';", wall: 'workers' },
  { file: 'cli/probe-catalog.ts', source: "async function f() { return import('../catalog/db'); }\nvoid f;", wall: 'cli' },
  { file: 'cli/main.ts', source: "async function f() { return import('../workers/embedded/up'); }\nvoid f;", wall: null },
];

interface EslintMessage { ruleId: string | null; message: string }
interface EslintResult { filePath: string; messages: EslintMessage[] }

describe('the walls between rooms (lint/rooms.mjs)', () => {
  let dir: string;
  let results: Map<string, EslintMessage[]>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'backstop-walls-'));
    for (const probe of PROBES) {
      mkdirSync(dirname(join(dir, probe.file)), { recursive: true });
      writeFileSync(join(dir, probe.file), `${probe.source}\n`);
    }
    // eslint exits 1 when it finds problems: that is the expected outcome, so read its JSON either way.
    const run = spawnSync(ESLINT, ['--no-config-lookup', '-c', join(ROOT, 'lint', 'rooms.config.mjs'), '--format', 'json', '.'], { cwd: dir, encoding: 'utf8' });
    if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
    const parsed = JSON.parse(run.stdout) as EslintResult[];
    results = new Map(parsed.map((r) => [r.filePath.slice(dir.length + 1), r.messages]));
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(PROBES)('$file: $source', ({ file, wall }) => {
    const messages = results.get(file);
    expect(messages).toBeDefined();
    const walls = messages!.filter((m) => m.ruleId === 'backstop/rooms').map((m) => m.message);
    if (wall === null) expect(walls).toEqual([]);
    else expect(walls).toEqual([expect.stringContaining(`crosses a wall: ${wall}:`)]);
    // nothing else went wrong (a parse error would hide the rule)
    expect(messages!.filter((m) => m.ruleId !== 'backstop/rooms')).toEqual([]);
  });

  it("is switched on by the project's own eslint config for every room", () => {
    for (const file of ['contract/names.ts', 'workflows/backup.ts', 'activities/agent/backup-activities.ts', 'api/app.ts', 'core/config.ts']) {
      const config = JSON.parse(execFileSync(ESLINT, ['--print-config', file], { cwd: ROOT, encoding: 'utf8' })) as { rules: Record<string, unknown> };
      expect(config.rules['backstop/rooms']).toEqual([2]);
    }
  }, 60_000);
});
