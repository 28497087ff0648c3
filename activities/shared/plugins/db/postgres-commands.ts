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

// --- restore drills (issue 17) -------------------------------------------------------------

/**
 * Every table of the connected database with its exact row count, one `name<TAB>rows` line
 * each (names quoted as identifiers where they need it). Exact, not the planner's estimate:
 * a freshly restored database has no statistics yet.
 */
export const TABLE_ROWS_SQL =
  "SELECT format('%I.%I', table_schema, table_name), " +
  "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text " +
  "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";

/** One query in `database`, rows as tab-separated lines. */
export function psqlRowsArgs(sql: string, database: string): string[] {
  return ['--no-password', '--no-psqlrc', '--tuples-only', '--no-align', '--field-separator', '\t', '--dbname', database, '--command', sql];
}

/** A drill's probe query may read only: every transaction of its session is read-only. */
export const READ_ONLY_SESSION = { PGOPTIONS: '-c default_transaction_read_only=on' } as const;
