// The Temporal server an operator runs in production, here: the binary built from the Go
// module proxy (scripts/setup.sh), on a PostgreSQL cluster of its own, configured by
// deploy/temporal/config/temporal.yaml and set up by deploy/temporal/setup-schema.sh and
// setup-namespace.sh, the very files docker-compose.yml uses. TLS on the frontend with
// client certificates required (mTLS).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { ROOT, TOOLS_BIN } from '../../support/tools';
import { freePort } from '../../support/ports';
import { fatal, waitFor } from '../../support/wait';
import { killChild, stopChild } from '../../support/child-process';
import type { Postgres } from '../../support/postgres';
import type { TemporalTlsFiles } from './tls';

const BIN = join(ROOT, '.tools', 'bin');
export const TEMPORAL_SERVER = join(BIN, 'temporal-server');
export const TEMPORAL_SQL_TOOL = join(BIN, 'temporal-sql-tool');
export const TEMPORAL_SCHEMA_DIR = join(ROOT, '.tools', 'temporal', 'schema', 'postgresql', 'v12');
const DEPLOY = join(ROOT, 'deploy', 'temporal');

export interface TemporalServer {
  address: string;
  /** What a Backstop process needs to reach it (BACKSTOP_TEMPORAL_*). */
  clientEnv: Record<string, string>;
  /** What the temporal CLI needs to reach it (TEMPORAL_ADDRESS, TEMPORAL_TLS_*). */
  cliEnv: Record<string, string>;
  /** A connected client connection for the test itself (closed by stop()). */
  connect(): Promise<Connection>;
  /** SIGKILL the server; resolves once it is gone. */
  kill9(): Promise<void>;
  /** Starts it again (after kill9), resolved once the frontend answers. */
  start(): Promise<void>;
  pid(): number | undefined;
  stop(): Promise<void>;
}

export function temporalServerBuilt(): boolean {
  return existsSync(TEMPORAL_SERVER) && existsSync(TEMPORAL_SQL_TOOL) && existsSync(TEMPORAL_SCHEMA_DIR);
}

function pgParts(pg: Postgres): { user: string; password: string } {
  const u = new URL(pg.url);
  return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

export async function startTemporalServer(opts: { dir: string; pg: Postgres; tls: TemporalTlsFiles }): Promise<TemporalServer> {
  if (!temporalServerBuilt()) throw new Error(`${TEMPORAL_SERVER} is missing: run scripts/setup.sh first`);
  const { user, password } = pgParts(opts.pg);
  const log = createWriteStream(join(opts.dir, 'temporal-server.log'), { flags: 'a' });
  const run = promisify(execFile);

  await run('sh', [join(DEPLOY, 'setup-schema.sh')], {
    env: { ...process.env, SQL_HOST: '127.0.0.1', SQL_PORT: String(opts.pg.port), SQL_USER: user, SQL_PASSWORD: password, TEMPORAL_SCHEMA_DIR, TEMPORAL_SQL_TOOL },
  });

  const ports = { frontend: await freePort(), http: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort() };
  const membership = { frontend: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort() };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TEMPORAL_DB_HOST: '127.0.0.1',
    TEMPORAL_DB_PORT: String(opts.pg.port),
    TEMPORAL_DB_USER: user,
    TEMPORAL_DB_PASSWORD: password,
    TEMPORAL_BIND_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.http),
    TEMPORAL_HISTORY_PORT: String(ports.history),
    TEMPORAL_MATCHING_PORT: String(ports.matching),
    TEMPORAL_WORKER_PORT: String(ports.worker),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(membership.frontend),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(membership.history),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(membership.matching),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(membership.worker),
    TEMPORAL_TLS_CERT: opts.tls.serverCert,
    TEMPORAL_TLS_KEY: opts.tls.serverKey,
    TEMPORAL_TLS_CA: opts.tls.ca,
    TEMPORAL_TLS_CLIENT_CA: opts.tls.ca,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_DYNAMIC_CONFIG: join(DEPLOY, 'dynamicconfig', 'backstop.yaml'),
  };
  const address = `127.0.0.1:${ports.frontend}`;
  const tls = {
    serverNameOverride: 'localhost',
    serverRootCACertificate: readFileSync(opts.tls.ca),
    clientCertPair: { crt: readFileSync(opts.tls.clientCert), key: readFileSync(opts.tls.clientKey) },
  };
  const connect = () => Connection.connect({ address, tls, connectTimeout: 5_000 });

  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn(TEMPORAL_SERVER, ['--config-file', join(DEPLOY, 'config', 'temporal.yaml'), '--allow-no-auth', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    const p = proc;
    await waitFor('the Temporal server to answer', async () => {
      if (p.exitCode !== null || p.signalCode !== null) throw fatal(`the Temporal server exited (${p.exitCode ?? p.signalCode}); see ${join(opts.dir, 'temporal-server.log')}`);
      const c = await connect();
      try {
        await c.workflowService.getSystemInfo({});
        return true;
      } finally {
        await c.close();
      }
    }, 120_000, 500);
  };
  await start();
  // The temporal CLI's own variables, as an operator sets them (setup-namespace.sh, runbooks).
  const cliEnv = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: opts.tls.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: opts.tls.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: opts.tls.clientKey,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
  await run('sh', [join(DEPLOY, 'setup-namespace.sh')], { env: { ...process.env, TEMPORAL_CLI: join(TOOLS_BIN, 'temporal'), ...cliEnv } });

  return {
    address,
    clientEnv: {
      BACKSTOP_TEMPORAL_ADDRESS: `localhost:${ports.frontend}`,
      BACKSTOP_TEMPORAL_TLS_CA: opts.tls.ca,
      BACKSTOP_TEMPORAL_TLS_CERT: opts.tls.clientCert,
      BACKSTOP_TEMPORAL_TLS_KEY: opts.tls.clientKey,
    },
    cliEnv,
    connect,
    kill9: () => killChild(proc),
    start,
    pid: () => proc?.pid,
    async stop() {
      if (proc) await stopChild(proc, 15_000);
      log.end();
    },
  };
}
