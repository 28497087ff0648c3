// A throwaway MariaDB server from Debian's packages (mariadb-server), on a free loopback port
// with its socket in a temporary directory. As root it runs as the mysql user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait';
import { stopChild } from './child-process';

export interface MariaDb {
  port: number;
  socket: string;
  /** Runs SQL as root over the socket; returns the rows, tab-separated. */
  sql(statement: string, database?: string): string;
  stop(): Promise<void>;
}

export async function startMariaDb(): Promise<MariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const root = userInfo().uid === 0;
  const user = root ? 'mysql' : userInfo().username;
  if (root) {
    chownSync(dir, Number(execFileSync('id', ['-u', 'mysql']).toString().trim()), Number(execFileSync('id', ['-g', 'mysql']).toString().trim()));
    chmodSync(dir, 0o755);
  }
  execFileSync('mariadb-install-db', [`--user=${user}`, `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'pipe' });
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'mariadbd',
    [`--user=${user}`, `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${join(dir, 'pid')}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', `--log-error=${join(dir, 'error.log')}`],
    { stdio: 'ignore' },
  );
  const sql = (statement: string, database?: string) =>
    execFileSync('mariadb', ['--user=root', `--socket=${socket}`, '--batch', '--skip-column-names', ...(database ? [database] : []), '--execute', statement], { stdio: 'pipe' }).toString();
  await waitFor('MariaDB', async () => sql('SELECT 1').trim() === '1', 60_000, 300);
  return {
    port,
    socket,
    sql,
    async stop() {
      await stopChild(proc, 20_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
