// PostgreSQL client command lines as data. Connection settings and the password travel in
// the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD), never in argv where `ps` shows them.
import { join } from 'node:path';

export interface PgConnection {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** Directory of pg_dump, pg_restore, psql, createdb, dropdb; PATH by default. */
  binDir?: string;
}

export function pgEnv(c: PgConnection): Record<string, string> {
  return {
    ...(c.host ? { PGHOST: c.host } : {}),
    ...(c.port ? { PGPORT: String(c.port) } : {}),
    ...(c.user ? { PGUSER: c.user } : {}),
    ...(c.password !== undefined ? { PGPASSWORD: c.password } : {}),
    // A dead host fails in bounded time instead of hanging the step.
    PGCONNECT_TIMEOUT: '10',
  };
}

export function pgBin(c: PgConnection, name: 'pg_dump' | 'pg_restore' | 'psql' | 'createdb' | 'dropdb'): string {
  return c.binDir ? join(c.binDir, name) : name;
}

/** Custom format (compressed, restorable with pg_restore); to `file`, or to stdout without one. */
export function pgDumpArgs(database: string, file?: string): string[] {
  return ['--format=custom', '--no-password', ...(file ? ['--file', file] : []), '--dbname', database];
}

export const LIST_DATABASES_SQL = 'SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname';

/** One query, one value per line; `sql` must not contain user input (names are checked first). */
export function psqlQueryArgs(sql: string, database = 'postgres'): string[] {
  return ['--no-password', '--no-psqlrc', '--tuples-only', '--no-align', '--dbname', database, '--command', sql];
}

export function databaseExistsSql(name: string): string {
  return `SELECT 1 FROM pg_database WHERE datname = '${name}'`;
}

export function createDbArgs(name: string): string[] {
  return ['--no-password', '--maintenance-db=postgres', name];
}

/** --force ends the sessions still connected to it (PostgreSQL ≥ 13). */
export function dropDbArgs(name: string): string[] {
  return ['--no-password', '--maintenance-db=postgres', '--if-exists', '--force', name];
}

/** Reads the dump on stdin; stops at the first error instead of restoring half of it. */
export function pgRestoreArgs(target: string): string[] {
  return ['--no-password', '--no-owner', '--exit-on-error', '--dbname', target];
}

/** Where a database's dump lives in the snapshot when streamed. */
export function pgPseudoPath(configId: number, database: string): string {
  return `/backstop/pg_dump/config-${configId}/${database}.dump`;
}
