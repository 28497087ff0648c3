// The production topology on one machine, from real binaries: the Temporal server (built from
// the Go module proxy) on its own PostgreSQL with mTLS, the catalog on another PostgreSQL,
// two API processes behind a round-robin load balancer, two server workers and three agents
// enrolled with bootstrap tokens (mTLS to the API through the balancer). Every Backstop
// process starts as deploy/production-services.ts says (compiled JavaScript, only the
// variables listed there), so a test can kill -9 any of them and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { createPool } from '../../../catalog/db';
import { migrate } from '../../../catalog/migrate';
import { Catalog } from '../../../catalog/catalog';
import { ApiClient } from '../../../core/api-client';
import { PRODUCTION_SERVICES, type ProductionService } from '../../../deploy/production-services';
import { startPostgres, type Postgres } from '../../support/postgres';
import { freePort } from '../../support/ports';
import { ROOT } from '../../support/tools';
import { killChild, stopChild } from '../../support/child-process';
import { makeTemporalTls } from './tls';
import { startTemporalServer, type TemporalServer } from './temporal-server';
import { startRoundRobin, type RoundRobin } from './round-robin';

/** A Backstop process of the topology: `api-1`, `server-worker-2`, `agent-3`, … */
export interface Member {
  name: string;
  service: ProductionService;
  /** The environment it starts with (the suite's record of what ran). */
  env: Record<string, string>;
  pid(): number | undefined;
  running(): boolean;
  kill9(): Promise<void>;
  /** SIGTERM, SIGKILL after a grace; resolved once it exited. */
  stop(): Promise<void>;
  start(): void;
}

export interface TopologyOptions {
  apis?: number;
  serverWorkers?: number;
  agents?: number;
  /** Added to every process of a service (tuning only: timeouts, intervals, a gated restic). */
  tuning?: Partial<Record<ProductionService, Record<string, string>>>;
}

export interface Topology {
  dir: string;
  /** The API through the load balancer. */
  api: ApiClient;
  /** Each API process directly, in order. */
  apis: ApiClient[];
  httpBalancer: RoundRobin;
  tlsBalancer: RoundRobin;
  adminToken: string;
  members: Map<string, Member>;
  member(name: string): Member;
  agentNames: string[];
  /** The directory each agent may back up (its BACKSTOP_BACKUP_ROOTS). */
  agentRoot(agent: string): string;
  temporal: TemporalServer;
  temporalClient: Client;
  temporalDb: Postgres;
  catalogDb: Postgres;
  catalog: Catalog;
  /**
   * Starts one more server worker, as deploy/production-services.ts says, with the suite's
   * environment (and tuning) plus `env` (a build id, say), from `release`: a directory laid
   * out as the image's working directory (test/production/support/release.ts); by default
   * this checkout.
   */
  addServerWorker(name: string, opts?: { env?: Record<string, string>; release?: string }): Member;
  stop(): Promise<void>;
}

/** PATH first: the project's restic and tools, as the image has them in /usr/local/bin. */
function basicEnv(): Record<string, string> {
  return {
    PATH: [join(ROOT, '.tools', 'bin'), join(ROOT, '.tools', 'venv', 'bin'), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
  };
}

export async function startTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const apis = opts.apis ?? 2;
  const workers = opts.serverWorkers ?? 2;
  const agents = opts.agents ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'backstop-prod-'));
  mkdirSync(join(dir, 'logs'));
  const cleanups: Array<() => Promise<void> | void> = [];
  const members = new Map<string, Member>();

  try {
    const temporalDb = await startPostgres({ password: randomBytes(12).toString('hex') });
    cleanups.push(() => temporalDb.stop());
    const catalogDb = await startPostgres({ password: randomBytes(12).toString('hex') });
    cleanups.push(() => catalogDb.stop());
    const temporal = await startTemporalServer({ dir, pg: temporalDb, tls: makeTemporalTls(join(dir, 'temporal-tls')) });
    cleanups.push(() => temporal.stop());

    const pool = createPool(catalogDb.url, 3);
    cleanups.push(() => pool.end());
    await migrate(pool);
    const catalog = new Catalog(pool);
    const adminToken = await catalog.identity.createToken({ name: 'production suite admin', scope: 'admin' });
    const masterKey = randomBytes(32).toString('hex');

    const apiPorts = await Promise.all(Array.from({ length: apis }, async () => ({ http: await freePort(), tls: await freePort() })));
    const httpBalancer = await startRoundRobin(await freePort(), apiPorts.map((p) => p.http));
    cleanups.push(() => httpBalancer.close());
    const tlsBalancer = await startRoundRobin(await freePort(), apiPorts.map((p) => p.tls));
    cleanups.push(() => tlsBalancer.close());
    const balancedUrl = `http://127.0.0.1:${httpBalancer.port}`;

    const server = { DATABASE_URL: catalogDb.url, BACKSTOP_MASTER_KEY: masterKey, ...temporal.clientEnv };
    const add = (name: string, service: ProductionService, env: Record<string, string>, root = ROOT) => {
      const spec = PRODUCTION_SERVICES[service];
      const allowed = new Set([...spec.env, ...spec.optionalEnv]);
      const extra = Object.keys(env).filter((k) => !allowed.has(k));
      if (extra.length) throw new Error(`${name}: ${extra.join(', ')} not in deploy/production-services.ts`);
      const missing = spec.env.filter((k) => env[k] === undefined);
      if (missing.length) throw new Error(`${name}: ${missing.join(', ')} not set`);
      let proc: ChildProcess | undefined;
      const [node, script, ...args] = spec.command;
      if (node !== 'node') throw new Error(`${service}: the suite starts node commands only`);
      const m: Member = {
        name,
        service,
        env,
        pid: () => proc?.pid,
        running: () => Boolean(proc && proc.exitCode === null && proc.signalCode === null),
        start() {
          const log = createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' });
          proc = spawn(process.execPath, ['--enable-source-maps', join(root, script!), ...args], { cwd: root, env: { ...basicEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
          proc.stdout!.pipe(log);
          proc.stderr!.pipe(log);
        },
        kill9: () => killChild(proc),
        async stop() {
          if (proc) await stopChild(proc, 20_000);
        },
      };
      members.set(name, m);
      return m;
    };

    for (let i = 0; i < apis; i++) {
      add(`api-${i + 1}`, 'api', {
        ...server,
        ...opts.tuning?.api,
        BACKSTOP_DATA_DIR: join(dir, `api-${i + 1}`),
        BACKSTOP_API_HOST: '127.0.0.1',
        BACKSTOP_API_PORT: String(apiPorts[i]!.http),
        BACKSTOP_API_TLS_PORT: String(apiPorts[i]!.tls),
        // Agents are told the balancer, as they would be told a load-balanced name.
        BACKSTOP_API_TLS_URL: `https://127.0.0.1:${tlsBalancer.port}`,
        BACKSTOP_API_TLS_HOSTNAMES: 'localhost,127.0.0.1',
        BACKSTOP_LOG_LEVEL: 'info',
      }).start();
    }
    const direct = apiPorts.map((p) => new ApiClient(`http://127.0.0.1:${p.http}`, adminToken));
    await Promise.all(direct.map((a) => a.waitUntilHealthy(120_000)));
    const serverWorkerEnv = (name: string) => ({ ...server, ...opts.tuning?.['server-worker'], BACKSTOP_DATA_DIR: join(dir, name), BACKSTOP_LOG_LEVEL: 'info' });
    for (let i = 0; i < workers; i++) add(`server-worker-${i + 1}`, 'server-worker', serverWorkerEnv(`server-worker-${i + 1}`)).start();

    const api = new ApiClient(balancedUrl, adminToken);
    const agentNames = Array.from({ length: agents }, (_, i) => `agent-${i + 1}`);
    const root = (a: string) => join(dir, 'sources', a);
    for (const name of agentNames) {
      mkdirSync(root(name), { recursive: true });
      const bootstrap = await api.createAgentToken({ agentName: name, maxUses: 1 });
      add(name, 'agent', {
        ...temporal.clientEnv,
        ...opts.tuning?.agent,
        BACKSTOP_AGENT_HOME: join(dir, name, 'home'),
        BACKSTOP_DATA_DIR: join(dir, name, 'state'),
        BACKSTOP_INIT_SERVER_URL: balancedUrl,
        BACKSTOP_INIT_BOOTSTRAP_TOKEN: bootstrap.token,
        BACKSTOP_INIT_CA_FINGERPRINT: bootstrap.caFingerprint,
        BACKSTOP_HOSTNAME: name,
        BACKSTOP_BACKUP_ROOTS: root(name),
        BACKSTOP_LOG_LEVEL: 'info',
      }).start();
    }
    await Promise.all(agentNames.map((n) => api.waitForAgent(n, 120_000)));
    const temporalClient = new Client({ connection: await temporal.connect() });
    cleanups.push(() => temporalClient.connection.close());

    return {
      dir,
      api,
      apis: direct,
      httpBalancer,
      tlsBalancer,
      adminToken,
      members,
      member(name) {
        const m = members.get(name);
        if (!m) throw new Error(`no member ${name}`);
        return m;
      },
      agentNames,
      agentRoot: root,
      temporal,
      temporalClient,
      temporalDb,
      catalogDb,
      catalog,
      addServerWorker(name, extra = {}) {
        if (members.has(name)) throw new Error(`member ${name} exists already`);
        const m = add(name, 'server-worker', { ...serverWorkerEnv(name), ...extra.env }, extra.release);
        m.start();
        return m;
      },
      async stop() {
        await stopMembers(members);
        await runCleanups(cleanups);
        // BACKSTOP_KEEP_TOPOLOGY=1 keeps the logs and state for a look after a failure.
        if (process.env.BACKSTOP_KEEP_TOPOLOGY === '1') console.log(`production topology kept in ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopMembers(members).catch(() => undefined);
    await runCleanups(cleanups).catch(() => undefined);
    throw new Error(`starting the production topology failed (logs in ${dir}): ${(err as Error).message}`);
  }
}

/** Agents first, then workers, then APIs: nothing left waiting on a process already gone. */
async function stopMembers(members: Map<string, Member>): Promise<void> {
  const order: ProductionService[] = ['agent', 'server-worker', 'api'];
  for (const service of order) {
    await Promise.all([...members.values()].filter((m) => m.service === service).map(async (m) => {
      await m.stop();
    }));
  }
}

async function runCleanups(cleanups: Array<() => Promise<void> | void>): Promise<void> {
  for (const c of cleanups.reverse()) await c();
}

/** Waits until every listed member's process is up again and the API sees the agents. */
export async function waitForAgents(t: Topology, timeoutMs = 120_000): Promise<void> {
  await Promise.all(t.agentNames.map((n) => t.api.waitForAgent(n, timeoutMs)));
}
