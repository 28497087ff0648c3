// MySQL/MariaDB client command lines as data. Credentials and the connection go into a 0600
// option file (--defaults-extra-file, which must come first), never into argv.

export interface MysqlConnection {
  host?: string;
  port?: number;
  socket?: string;
  user?: string;
  password?: string;
}

/** An option-file value in double quotes, with \ and " escaped as MySQL reads them. */
function optionValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function mysqlOptionFile(c: MysqlConnection): string {
  const lines = ['[client]'];
  if (c.host) lines.push(`host=${optionValue(c.host)}`);
  if (c.port) lines.push(`port=${c.port}`);
  if (c.socket) lines.push(`socket=${optionValue(c.socket)}`);
  if (c.user) lines.push(`user=${optionValue(c.user)}`);
  if (c.password !== undefined) lines.push(`password=${optionValue(c.password)}`);
  return lines.join('\n') + '\n';
}

const defaults = (file: string) => `--defaults-extra-file=${file}`;

/** A consistent InnoDB dump without locking tables; routines, events and triggers included. */
export function mysqlDumpArgs(optionFile: string, database: string): string[] {
  return [defaults(optionFile), '--single-transaction', '--routines', '--events', '--triggers', '--hex-blob', database];
}

/** Schemas never dumped when the configuration names no databases. */
export const SYSTEM_SCHEMAS = ['information_schema', 'performance_schema', 'sys', 'mysql'];

export function mysqlQueryArgs(optionFile: string, sql: string, database?: string): string[] {
  return [defaults(optionFile), '--batch', '--skip-column-names', ...(database ? ['--database', database] : []), '--execute', sql];
}

/** Feeds a dump on stdin into `target`. */
export function mysqlRestoreArgs(optionFile: string, target: string): string[] {
  return [defaults(optionFile), target];
}

export function mysqlPseudoPath(configId: number, database: string): string {
  return `/backstop/mysql_dump/config-${configId}/${database}.sql`;
}

// --- restore drills (issue 17) -------------------------------------------------------------

/** The base tables of `database` (a name checked by checkDatabaseName, so it needs no escaping). */
export function mysqlTablesSql(database: string): string {
  return `SELECT table_name FROM information_schema.tables WHERE table_schema = '${database}' AND table_type = 'BASE TABLE' ORDER BY table_name`;
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** One query: each table's name and exact row count (`name<TAB>rows` lines with --batch). */
export function mysqlRowCountsSql(database: string, tables: readonly string[]): string {
  return tables.map((t) => `SELECT ${literal(t)}, COUNT(*) FROM ${ident(database)}.${ident(t)}`).join(' UNION ALL ');
}

/** A drill's probe query may read only. */
export function mysqlReadOnly(query: string): string {
  return `SET SESSION TRANSACTION READ ONLY; ${query}`;
}
