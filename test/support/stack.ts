// The real stack for integration tests: a Temporal dev server, the catalog, and the API,
// server worker and agent as separate processes (started exactly as production starts
// them), so a test can kill -9 one of them and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Connection, Client } from '@temporalio/client';
import { createPool } from '../../catalog/db';
import { migrate } from '../../catalog/migrate';
import { Catalog } from '../../catalog/catalog';
import { ApiClient } from '../../core/api-client';
import { SearchAttribute } from '../../contract/names';
import { freePort } from './ports';
import { killChild } from './child-process';
import { waitFor } from './wait';
import { waitForSearchAttributes } from '../../core/temporal-connection';
import { ROOT, cliArgs, toolPath } from './tools';

export type Component = 'api' | 'server-worker' | 'agent';

const COMMANDS: Record<Component, string[]> = {
  api: ['api'],
  'server-worker': ['worker', 'server'],
  agent: ['agent'],
};

export interface Stack {
  dir: string;
  api: ApiClient;
  temporal: Client;
  temporalAddress: string;
  catalog: Catalog;
  masterKey: string;
  start(c: Component): Promise<void>;
  /** SIGKILL, as a crash; resolves once the process is gone. */
  kill9(c: Component): Promise<void>;
  /** Another agent worker under its own name and token (cross-agent restores); `env` adds to the stack's. */
  startAgent(name: string, env?: Record<string, string>): Promise<ExtraAgent>;
  /** The PID of a running component (its /proc entry: environment, open files). */
  pid(c: Component): number | undefined;
  stop(): Promise<void>;
}

export interface ExtraAgent {
  name: string;
  /** SIGKILL, as a crash; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts it again after kill9, with the same name and token. */
  restart(): Promise<void>;
}

export async function startTemporalDevServer(dir: string): Promise<{ address: string; proc: ChildProcess }> {
  const port = await freePort();
  const uiPort = await freePort();
  const log = createWriteStream(join(dir, 'temporal.log'));
  const sa = Object.values(SearchAttribute).flatMap((n) => ['--search-attribute', `${n}=Keyword`]);
  const proc = spawn(toolPath('temporal'), ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--log-level', 'warn', ...sa], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  const address = `127.0.0.1:${port}`;
  await waitFor('Temporal dev server', async () => {
    const c = await Connection.connect({ address, connectTimeout: 1_000 });
    await c.workflowService.getSystemInfo({});
    await c.close();
    return true;
  }, 60_000, 300);
  // Registered at start-up, but possibly not yet visible to the first client.
  const c = await Connection.connect({ address });
  await waitForSearchAttributes(c, 'default');
  await c.close();
  return { address, proc };
}

/** `env` goes to every process; `componentEnv` to one (a listen address only one of them may bind). */
export async function startStack(opts: { databaseUrl: string; env?: Record<string, string>; componentEnv?: Partial<Record<Component, Record<string, string>>> }): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-it-'));
  mkdirSync(join(dir, 'logs'));
  const temporal = await startTemporalDevServer(dir);
  const pool = createPool(opts.databaseUrl, 3);
  await migrate(pool);
  const catalog = new Catalog(pool);
  const adminToken = await catalog.identity.createToken({ name: 'test admin', scope: 'admin' });
  const agentToken = await catalog.identity.createToken({ name: 'test agent', scope: 'agent', agentName: 'local' });
  const apiPort = await freePort();
  const masterKey = randomBytes(32).toString('hex');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: opts.databaseUrl,
    BACKSTOP_DATA_DIR: join(dir, 'data'),
    BACKSTOP_TEMPORAL_ADDRESS: temporal.address,
    BACKSTOP_API_PORT: String(apiPort),
    BACKSTOP_MASTER_KEY: masterKey,
    BACKSTOP_AGENT_NAME: 'local',
    BACKSTOP_AGENT_TOKEN: agentToken,
    // Pull-mode exports on loopback only.
    BACKSTOP_EXPORT_LISTEN: '127.0.0.1',
    BACKSTOP_LOG_LEVEL: 'info',
    // Every answer the tests get is checked against the spec: drift is a 500 there.
    BACKSTOP_VALIDATE_RESPONSES: '1',
    ...opts.env,
  };
  const procs = new Map<Component, ChildProcess>();
  const extraAgents = new Map<string, ChildProcess>();

  const start = async (c: Component) => {
    const log = createWriteStream(join(dir, 'logs', `${c}.log`), { flags: 'a' });
    const proc = spawn(process.execPath, cliArgs(...COMMANDS[c]), { cwd: ROOT, env: { ...env, ...opts.componentEnv?.[c] }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    procs.set(c, proc);
  };
  const api = new ApiClient(`http://127.0.0.1:${apiPort}`, adminToken);
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });

  await start('api');
  await api.waitUntilHealthy(60_000);
  await start('server-worker');
  await start('agent');
  await api.waitForAgent('local', 60_000);

  return {
    dir,
    api,
    temporal: client,
    temporalAddress: temporal.address,
    catalog,
    masterKey,
    pid: (c) => procs.get(c)?.pid,
    start,
    kill9(c) {
      return killChild(procs.get(c));
    },
    async startAgent(name, extraEnv = {}) {
      const token = await catalog.identity.createToken({ name: `test agent ${name}`, scope: 'agent', agentName: name });
      const launch = () => {
        const log = createWriteStream(join(dir, 'logs', `agent-${name}.log`), { flags: 'a' });
        const proc = spawn(process.execPath, cliArgs('agent'), {
          cwd: ROOT,
          env: { ...env, BACKSTOP_AGENT_NAME: name, BACKSTOP_AGENT_TOKEN: token, ...extraEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        proc.stdout!.pipe(log);
        proc.stderr!.pipe(log);
        extraAgents.set(name, proc);
      };
      launch();
      await api.waitForAgent(name, 60_000);
      return {
        name,
        kill9: () => killChild(extraAgents.get(name)),
        restart: async () => launch(),
      };
    },
    async stop() {
      for (const p of extraAgents.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      for (const c of ['agent', 'server-worker', 'api'] as Component[]) {
        const p = procs.get(c);
        if (p && p.exitCode === null && p.signalCode === null) {
          const exited = new Promise((r) => p.once('exit', r));
          p.kill('SIGTERM');
          const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(t);
        }
      }
      await client.connection.close();
      temporal.proc.kill('SIGTERM');
      await pool.end();
    },
  };
}
