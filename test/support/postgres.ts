// A throwaway PostgreSQL cluster from Debian's binaries, on a free loopback port.
// initdb refuses to run as root, so as root the cluster belongs to the postgres user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';
import { asOwner, clusterOwner, pgBin, type ClusterOwner } from '../../workers/embedded/embedded-postgres';

export interface Postgres {
  url: string;
  port: number;
  /** SIGKILL to the postmaster and every backend, as a crash of the database host would do. */
  kill9(): void;
  /** Starts the cluster again after kill9 (PostgreSQL replays its WAL: crash recovery). */
  start(): void;
  stop(): Promise<void>;
}

/** Runs `cmd` as the cluster's owner (postgres when we are root), like the embedded catalog. */
function runAsOwner(owner: ClusterOwner, cmd: string, args: string[]): void {
  const run = asOwner(owner, cmd, args);
  execFileSync(run.command, run.args, { stdio: 'pipe' });
}

/** Alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** With `password`, TCP connections need it (scram-sha-256): for tests of a wrong password. */
export async function startPostgres(opts: { password?: string } = {}): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-pg-'));
  const data = join(dir, 'data');
  const owner = clusterOwner();
  if (owner.asRoot) chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  const auth = opts.password ? ['--auth-host=scram-sha-256', '--auth-local=trust', `--pwfile=${join(dir, 'pw')}`] : ['-A', 'trust'];
  if (opts.password) {
    writeFileSync(join(dir, 'pw'), opts.password + '\n', { mode: 0o600 });
    if (owner.asRoot) chownSync(join(dir, 'pw'), owner.uid, owner.gid);
  }
  runAsOwner(owner, pgBin('initdb'), ['-D', data, ...auth, '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const start = () => runAsOwner(owner, pgBin('pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  let running = false;
  const startIt = () => {
    start();
    running = true;
  };
  startIt();
  return {
    url: `postgres://postgres${opts.password ? `:${encodeURIComponent(opts.password)}` : ''}@127.0.0.1:${port}/postgres`,
    port,
    kill9() {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Frozen first, so it forks no new backend; then the backends (orphans would hold the
      // shared memory the next start needs), then the postmaster itself.
      process.kill(pid, 'SIGSTOP');
      spawnSync('pkill', ['-KILL', '-P', String(pid)]);
      process.kill(pid, 'SIGKILL');
      running = false;
      // pg_ctl start refuses while the old postmaster still exists: wait (briefly) for it.
      const deadline = Date.now() + 30_000;
      while (isAlive(pid) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
      // Dead, but maybe a zombie nobody reaps (a container's PID 1 may not): PostgreSQL would
      // take it for a live postmaster. After a real crash the pid in the file is simply gone.
      for (const stale of [join(data, 'postmaster.pid'), join(dir, `.s.PGSQL.${port}.lock`), join(dir, `.s.PGSQL.${port}`)]) rmSync(stale, { force: true });
    },
    start: startIt,
    async stop() {
      try {
        if (running) runAsOwner(owner, pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The rows `sql` returns from `database` on `pg`'s server (a database plugin's scratch or restored database). */
export async function queryDatabase(pg: Pick<Postgres, 'url'>, database: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const url = new URL(pg.url);
  url.pathname = `/${database}`;
  const c = new Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}
