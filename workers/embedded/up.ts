// `backstop up`: the whole stack on one machine, supervised. Temporal dev server (SQLite
// under ./data), the catalog (a private PostgreSQL under ./data/postgres, or DATABASE_URL),
// the API, the server worker and one local agent, each its own process running the compiled
// JavaScript. A child that exits on its own is restarted with backoff while the rest keep
// serving; a revoked local agent stays down and the log says how to bring it back. Ctrl-C
// (or SIGTERM) stops everything. With the sample on, it backs up a sample directory,
// restores it and compares every file.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import type { BackstopConfig } from '../../core/config';
import { AGENT_EXIT_REVOKED, SearchAttribute } from '../../contract/names';
import { projectRoot } from '../../core/project-root';
import { createPool, waitForDatabase } from '../../catalog/db';
import { migrate } from '../../catalog/migrate';
import { importPgliteCatalog } from '../../catalog/pglite-import';
import { Catalog } from '../../catalog/catalog';
import { diesWithParent, Supervisor } from './supervisor';
import { isPgliteCatalog, prepareEmbeddedPostgres, retirePgliteCatalog } from './embedded-postgres';
import { connectClient, waitForSearchAttributes } from '../../core/temporal-connection';
import { ApiClient } from '../../core/api-client';
import { runSample } from './sample';
import { loadSecretBox } from '../../core/secrets';

export interface UpOptions {
  sample: boolean;
  temporalBinary?: string;
  temporalPort?: number;
  uiPort?: number;
}

/** How the children run the CLI: the compiled JavaScript beside this file, or the sources through tsx. */
export function cliCommand(file = __filename): string[] {
  return file.endsWith('.js') ? ['--enable-source-maps', join(__dirname, '..', '..', 'cli', 'main.js')] : ['--import', 'tsx', join(projectRoot(), 'cli', 'main.ts')];
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
    if (await catalog.identity.findToken(token)) return token;
  }
  const token = await create();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

export async function up(config: BackstopConfig, opts: UpOptions): Promise<void> {
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporalPort = opts.temporalPort ?? Number(config.temporalAddress.split(':')[1] ?? 7233);
  const uiPort = opts.uiPort ?? config.uiPort;
  const temporalBinary = opts.temporalBinary ?? config.temporalBinary;
  const logs = join(dataDir, 'logs');

  const children = new Supervisor(logs, (line) => console.error(line));
  let shuttingDown = false;
  let pool: ReturnType<typeof createPool> | undefined;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('backstop: stopping…');
    await pool?.end().catch(() => undefined);
    await children.stopAll();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    for (const [port, what] of [[temporalPort, 'Temporal'], [uiPort, 'Temporal UI'], [config.apiPort, 'API']] as const) {
      if (await portOpen(port)) throw new Error(`port ${port} (${what}) is already in use: is another backstop up running?`);
    }

    const searchAttributes = Object.values(SearchAttribute).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
    children.start({
      name: 'temporal',
      ...diesWithParent(temporalBinary, [
        'server', 'start-dev', '--db-filename', join(dataDir, 'temporal.db'), '--ip', '127.0.0.1', '--port', String(temporalPort),
        '--ui-port', String(uiPort), '--log-level', 'warn', ...searchAttributes,
      ]),
    });

    let databaseUrl = config.databaseUrl;
    let embedded: Awaited<ReturnType<typeof prepareEmbeddedPostgres>> | undefined;
    if (!databaseUrl) {
      embedded = await prepareEmbeddedPostgres(dataDir);
      if (embedded.created) console.log(`backstop: made the catalog's PostgreSQL cluster in ${embedded.layout.pgdata}`);
      children.start({ name: 'catalog', command: embedded.command, args: embedded.args });
      databaseUrl = embedded.layout.databaseUrl;
    }

    pool = createPool(databaseUrl, 2);
    await waitForDatabase(pool, 60_000);
    const pglite = join(dataDir, 'catalog');
    if (embedded?.created && isPgliteCatalog(pglite)) {
      // A catalog kept in PGlite by an earlier Backstop: copied into the new cluster once.
      const imported = await importPgliteCatalog(pglite, pool);
      const kept = retirePgliteCatalog(pglite, new Date());
      const rows = Object.values(imported.tables).reduce((a, b) => a + b, 0);
      console.log(`backstop: copied the PGlite catalog (migration ${imported.version}, ${rows} rows) into PostgreSQL; the old files are kept in ${kept}`);
    } else if (embedded && isPgliteCatalog(pglite)) {
      console.error(`backstop: ${pglite} holds a PGlite catalog that was not copied (the PostgreSQL cluster already existed); it is not used`);
    }
    await migrate(pool);
    const catalog = new Catalog(pool);
    const adminToken = await ensureToken(catalog, join(dataDir, 'admin.token'), () => catalog.identity.createToken({ name: 'admin (backstop up)', scope: 'admin' }));
    const agentTokenFile = join(dataDir, `agent-${config.agentName}.token`);
    // A new token for the local agent (first start, or the operator deleted the file after a
    // revocation) is the operator on this machine giving it credentials again: reinstated.
    const agentToken = await ensureToken(catalog, agentTokenFile, async () => {
      await catalog.identity.reinstateAgent(config.agentName);
      return catalog.identity.createToken({ name: `agent ${config.agentName}`, scope: 'agent', agentName: config.agentName });
    });

    // Every child gets the same key: the key file is created once, here, before any reader.
    const masterKeyFile = join(dataDir, 'master.key');
    if (!config.masterKey && !existsSync(masterKeyFile)) writeFileSync(masterKeyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });

    const env = {
      DATABASE_URL: databaseUrl,
      BACKSTOP_DATA_DIR: dataDir,
      BACKSTOP_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      // glibc gives every thread that allocates an arena of its own, and Temporal's native
      // core runs a dozen threads: two arenas keep an idle agent some 10 MB smaller
      // (bench:footprint), at no cost for processes that spend their time waiting.
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    };
    await waitForPort(temporalPort, 'Temporal dev server');
    // The dev server registers the search attributes at start-up; runs start only once they are listed.
    const temporalClient = await connectClient({ ...config, temporalAddress: `127.0.0.1:${temporalPort}` });
    await waitForSearchAttributes(temporalClient.connection, config.temporalNamespace, 90_000);
    await temporalClient.connection.close();
    const cli = cliCommand();
    // The console links a run to its workflow in this stack's Temporal Web UI.
    children.start({ name: 'api', ...diesWithParent(process.execPath, [...cli, 'api']), env: { ...env, BACKSTOP_TEMPORAL_UI_URL: config.temporalUiUrl ?? `http://127.0.0.1:${uiPort}` } });
    children.start({ name: 'server-worker', ...diesWithParent(process.execPath, [...cli, 'worker', 'server']), env });
    children.start({
      name: 'agent',
      ...diesWithParent(process.execPath, [...cli, 'agent']),
      // Its pull-mode exports on loopback, where this stack's server worker is.
      env: { ...env, BACKSTOP_AGENT_TOKEN: agentToken, BACKSTOP_EXPORT_LISTEN: '127.0.0.1' },
      stayDown: {
        [AGENT_EXIT_REVOKED]:
          `the API refused the local agent "${config.agentName}" (revoked). The rest of the stack keeps running. ` +
          `To bring it back with a new token: stop backstop up, delete ${agentTokenFile}, and start it again`,
      },
    });

    const api = new ApiClient(config.apiUrl, adminToken);
    await api.waitUntilHealthy(90_000);
    await api.waitForAgent(config.agentName, 90_000);

    console.log('');
    console.log(`Backstop is up.`);
    console.log(`  API:          ${config.apiUrl}   (token: ${adminToken})`);
    console.log(`  Console:      ${config.apiUrl}/ui/   (sign in with the token)`);
    console.log(`  Temporal UI:  http://127.0.0.1:${uiPort}`);
    console.log(`  Catalog:      ${embedded ? `PostgreSQL in ${embedded.layout.pgdata} (socket only)` : 'DATABASE_URL'}`);
    console.log(`  Logs:         ${logs}`);

    if (opts.sample) {
      const box = loadSecretBox(config, dataDir);
      const result = await runSample(api, {
        dataDir,
        agentName: config.agentName,
        repositoryPassword: async (id) => box.open(await catalog.repositories.sealedPassword(id), `repository:${id}`),
      });
      const { push, pull, drill } = result;
      console.log(`  Sample backup: run ${push.runId} ${push.status}, snapshot ${push.snapshotId}`);
      console.log(`  Restore check: ${push.filesCompared} files restored byte-equal (sha256) into ${push.restoreDir}`);
      console.log(`  Pull mode:     run ${pull.runId} ${pull.status}, snapshot ${pull.snapshotId} (job sample-pull: the server worker read the agent's export)`);
      console.log(`  Restore check: ${pull.filesCompared} files restored byte-equal (sha256) into ${pull.restoreDir}`);
      console.log(`  Restore drill: run ${drill.runId} ${drill.status}: ${drill.filesChecked} sampled files (${drill.bytesChecked} bytes) compared with the snapshot, ${drill.check}${drill.failureReason ? `: ${drill.failureReason}` : ''} (job sample drills weekly: jobs drill-show)`);
    }
    console.log('');
    console.log(`Try: BACKSTOP_TOKEN=${adminToken} ./bin/backstop runs list    ·    Ctrl-C stops everything.`);
  } catch (err) {
    // Nothing half-started is left behind.
    await pool?.end().catch(() => undefined);
    await children.stopAll();
    throw err;
  }
}
