// The embedded stack's catalog: a private PostgreSQL server (Debian's binaries) with its
// cluster under <data>/postgres, reachable only through a Unix socket inside that directory.
//
// - The cluster is made on first start (initdb, trust authentication on the socket only; no
//   TCP listener, so only root and the cluster's owner can connect).
// - PostgreSQL refuses to run as root: as root, the cluster and the server belong to the
//   `postgres` user (Debian's package creates it), and the data directory is made traversable
//   for the postgres group only (0710), never for other users.
// - The server is a child of the launcher, started through `setpriv --pdeathsig`, so a
//   launcher killed with -9 still stops it (fast shutdown) instead of leaving it running.
// - A postmaster.pid left by a server that died (kill -9, power loss) is handled here: if its
//   PID is gone or belongs to something else, the file is removed; if a postgres of this
//   cluster is still running (left by an older launcher), it is stopped first.
// Pure parts (paths, command lines, the pid-file decision) are exported for unit tests.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';

/** Socket paths longer than this do not fit in sockaddr_un (108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;
export const EMBEDDED_PG_PORT = 5432;

export interface EmbeddedPostgresLayout {
  /** The cluster (PGDATA); also the socket directory. */
  pgdata: string;
  socketPath: string;
  /** For pg / DATABASE_URL: the socket directory as host. */
  databaseUrl: string;
}

export function embeddedPostgresLayout(dataDir: string, port = EMBEDDED_PG_PORT): EmbeddedPostgresLayout {
  const pgdata = join(dataDir, 'postgres');
  const socketPath = join(pgdata, `.s.PGSQL.${port}`);
  if (socketPath.length > MAX_SOCKET_PATH) {
    throw new Error(
      `the catalog's socket path ${socketPath} is ${socketPath.length} characters, more than a Unix socket allows (${MAX_SOCKET_PATH}): ` +
        'set BACKSTOP_DATA_DIR to a shorter path, or DATABASE_URL to a PostgreSQL server of your own',
    );
  }
  return { pgdata, socketPath, databaseUrl: `postgresql://postgres@/postgres?host=${encodeURIComponent(pgdata)}&port=${port}` };
}

/** The newest Debian PostgreSQL's binary `name` (initdb, postgres, pg_ctl), or the name on PATH. */
export function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', name))) return join(base, v, 'bin', name);
  return name;
}

/** Who owns and runs the cluster: ourselves, or `postgres` when we are root. */
export interface ClusterOwner {
  asRoot: boolean;
  uid: number;
  gid: number;
}

export function clusterOwner(): ClusterOwner {
  const me = userInfo();
  if (me.uid !== 0) return { asRoot: false, uid: me.uid, gid: me.gid };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  } catch {
    throw new Error('PostgreSQL does not run as root, and there is no "postgres" user to run the catalog as: install Debian\'s postgresql package (scripts/setup.sh does)');
  }
  return { asRoot: true, uid, gid };
}

/** A command run as the cluster's owner: through setpriv when we are root. */
export function asOwner(owner: ClusterOwner, command: string, args: string[], opts: { pdeathsig?: string } = {}): { command: string; args: string[] } {
  const priv = owner.asRoot ? ['--reuid', String(owner.uid), '--regid', String(owner.gid), '--init-groups'] : [];
  const death = opts.pdeathsig ? ['--pdeathsig', opts.pdeathsig] : [];
  if (priv.length === 0 && death.length === 0) return { command, args };
  return { command: 'setpriv', args: [...priv, ...death, '--', command, ...args] };
}

/** The server's command line: socket only, in the cluster directory. */
export function postgresServerArgs(layout: EmbeddedPostgresLayout, port = EMBEDDED_PG_PORT): string[] {
  return ['-D', layout.pgdata, '-k', layout.pgdata, '-p', String(port), '-c', 'listen_addresses=', '-c', 'unix_socket_permissions=0700'];
}

/** What a postmaster.pid file means for the next start (pure: the caller reads /proc). */
export type PidFileVerdict = 'none' | 'stale' | 'running';

export function pidFileVerdict(pidFile: string | null, processCmdline: (pid: number) => string | null, pgdata: string): PidFileVerdict {
  if (pidFile === null) return 'none';
  const pid = Number(pidFile.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return 'stale';
  const cmd = processCmdline(pid);
  // A live postgres of this very cluster: still running (an older launcher's).
  if (cmd !== null && /(^|\/)postgres(\0|\s|$)/.test(cmd.split('\0')[0] ?? '') && cmd.includes(pgdata)) return 'running';
  return 'stale';
}

function cmdlineOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
}

export interface PreparedCluster {
  layout: EmbeddedPostgresLayout;
  owner: ClusterOwner;
  /** True when this start made the cluster. */
  created: boolean;
  /** The server to run (as a supervised child). */
  command: string;
  args: string[];
}

/**
 * Makes the cluster if needed and clears what a crashed server left, so that running
 * `command args` starts the server. Throws with the reason when it cannot.
 */
export async function prepareEmbeddedPostgres(dataDir: string): Promise<PreparedCluster> {
  const layout = embeddedPostgresLayout(dataDir);
  const owner = clusterOwner();
  if (owner.asRoot) {
    // The postgres user must reach its cluster inside the data directory, and no one else.
    chownSync(dataDir, 0, owner.gid);
    chmodSync(dataDir, 0o710);
  }
  let created = false;
  if (!existsSync(join(layout.pgdata, 'PG_VERSION'))) {
    rmSync(layout.pgdata, { recursive: true, force: true });
    mkdirSync(layout.pgdata, { mode: 0o700 });
    if (owner.asRoot) chownSync(layout.pgdata, owner.uid, owner.gid);
    const init = asOwner(owner, pgBin('initdb'), ['-D', layout.pgdata, '-U', 'postgres', '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--locale=C']);
    try {
      execFileSync(init.command, init.args, { stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed for the catalog in ${layout.pgdata}: ${e.stderr?.toString().trim() || e.message}`);
    }
    created = true;
  }
  await clearPidFile(layout);
  const server = asOwner(owner, pgBin('postgres'), postgresServerArgs(layout), { pdeathsig: 'INT' });
  return { layout, owner, created, ...server };
}

async function clearPidFile(layout: EmbeddedPostgresLayout): Promise<void> {
  const pidPath = join(layout.pgdata, 'postmaster.pid');
  const content = existsSync(pidPath) ? readFileSync(pidPath, 'utf8') : null;
  const verdict = pidFileVerdict(content, cmdlineOf, layout.pgdata);
  if (verdict === 'stale') {
    rmSync(pidPath, { force: true });
    rmSync(`${layout.socketPath}.lock`, { force: true });
  } else if (verdict === 'running') {
    // Left running by a launcher that could not stop it: stop it (fast shutdown) and wait.
    const pid = Number(content!.split('\n')[0]);
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 60_000;
    while (cmdlineOf(pid) !== null) {
      if (Date.now() > deadline) throw new Error(`a PostgreSQL server (pid ${pid}) still runs the catalog in ${layout.pgdata} and did not stop`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Whether `dir` holds a PGlite catalog of an earlier Backstop (data/catalog). */
export function isPgliteCatalog(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION')) && statSync(dir).isDirectory();
}

/** Marks a migrated PGlite catalog so it is not migrated twice, keeping it for safety. */
export function retirePgliteCatalog(dir: string, at: Date): string {
  const to = `${dir}.pglite-migrated-${at.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(dir, to);
  writeFileSync(join(to, 'MIGRATED-TO-POSTGRES.txt'), `This PGlite catalog was copied into data/postgres on ${at.toISOString()}; it is kept only as a backup.\n`);
  return to;
}
