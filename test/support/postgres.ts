// A throwaway PostgreSQL cluster from Debian's binaries, on a free loopback port.
// initdb refuses to run as root, so as root the cluster belongs to the postgres user.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { pgBin } from '../../workers/embedded-postgres';

export interface Postgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function asOwner(cmd: string, args: string[]): void {
  const root = userInfo().uid === 0;
  if (root) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}

/** With `password`, TCP connections need it (scram-sha-256): for tests of a wrong password. */
export async function startPostgres(opts: { password?: string } = {}): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-pg-'));
  const data = join(dir, 'data');
  const root = userInfo().uid === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const auth = opts.password ? ['--auth-host=scram-sha-256', '--auth-local=trust', `--pwfile=${join(dir, 'pw')}`] : ['-A', 'trust'];
  if (opts.password) {
    writeFileSync(join(dir, 'pw'), opts.password + '\n', { mode: 0o600 });
    if (root) chownSync(join(dir, 'pw'), Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  }
  asOwner(pgBin('initdb'), ['-D', data, ...auth, '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  asOwner(pgBin('pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    url: `postgres://postgres${opts.password ? `:${encodeURIComponent(opts.password)}` : ''}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      try {
        asOwner(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
