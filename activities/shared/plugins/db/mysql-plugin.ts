// mysql_dump: MySQL/MariaDB databases with mariadb-dump (or mysqldump) --single-transaction,
// streamed to /backstop/mysql_dump/config-<id>/<db>.sql or dumped into the work directory.
// The connection and password are in a 0600 option file inside the work directory (0700),
// removed with it when the run's plugins are cleaned up.
import { accessSync, constants } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { absolutePath } from '../config-fields';
import type { BackstopPlugin, PluginContext } from '../../../../contract/plugin-api';
import { checkRestoreTarget, clientLines, dumpDatabases, parseTableRows, testDatabaseAccess } from './dump-steps';
import { parseDbConfig, type DbConfig } from './db-config';
import { checkDatabaseName } from './identifiers';
import { mysqlDumpArgs, mysqlOptionFile, mysqlPseudoPath, mysqlQueryArgs, mysqlReadOnly, mysqlRestoreArgs, mysqlRowCountsSql, mysqlTablesSql, SYSTEM_SCHEMAS } from './mysql-commands';
import { runClient } from './run-client';

export const MYSQL_DUMP = 'mysql_dump';

export interface MysqlDumpConfig extends DbConfig {
  socket?: string;
  /** Directory of the client programs; PATH by default. */
  binDir?: string;
}

export function parseMysqlDumpConfig(raw: unknown): MysqlDumpConfig {
  const { config, raw: s } = parseDbConfig(raw, MYSQL_DUMP, ['socket', 'binDir']);
  const socket = absolutePath(s, MYSQL_DUMP, 'socket', false);
  const binDir = absolutePath(s, MYSQL_DUMP, 'binDir', false);
  return { ...config, ...(socket ? { socket } : {}), ...(binDir ? { binDir } : {}) };
}

/** MariaDB's own names first; MySQL's where only they exist. */
function client(c: MysqlDumpConfig, names: string[]): string {
  const dirs = c.binDir ? [c.binDir] : (process.env.PATH ?? '/usr/bin:/bin').split(delimiter);
  for (const name of names) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        /* next */
      }
    }
  }
  return names[names.length - 1]!;
}
const dumpBin = (c: MysqlDumpConfig) => client(c, ['mariadb-dump', 'mysqldump']);
const clientBin = (c: MysqlDumpConfig) => client(c, ['mariadb', 'mysql']);

async function optionFile(ctx: PluginContext, c: MysqlDumpConfig): Promise<string> {
  await mkdir(ctx.workDir, { recursive: true, mode: 0o700 });
  const file = join(ctx.workDir, 'client.cnf');
  await writeFile(file, mysqlOptionFile(c), { mode: 0o600 });
  return file;
}

async function query(ctx: PluginContext, c: MysqlDumpConfig, sql: string, database?: string): Promise<string[]> {
  return clientLines({ command: clientBin(c), args: mysqlQueryArgs(await optionFile(ctx, c), sql, database), env: {}, signal: ctx.signal });
}

/** Tables counted per query: one statement of bounded length, whatever the schema's size. */
const COUNT_BATCH = 100;
const MAX_TABLES = 1000;

async function databasesOf(ctx: PluginContext, c: MysqlDumpConfig): Promise<string[]> {
  if (c.databases) return c.databases;
  return (await query(ctx, c, 'SHOW DATABASES')).filter((d) => !SYSTEM_SCHEMAS.includes(d)).map((d) => checkDatabaseName(d));
}

export const mysqlDumpPlugin: BackstopPlugin<MysqlDumpConfig> = {
  type: MYSQL_DUMP,
  description: 'MySQL/MariaDB databases with mariadb-dump/mysqldump --single-transaction, streamed or dumped to a directory',
  capabilities: { engines: ['restic'], restoreTargets: ['database'] },
  secretFields: ['password'],
  parseConfig: parseMysqlDumpConfig,

  async backup(ctx, c) {
    const options = await optionFile(ctx, c);
    return dumpDatabases(ctx, {
      label: MYSQL_DUMP,
      mode: c.mode,
      databases: await databasesOf(ctx, c),
      stream: (db) => ({ item: db, pseudoPath: mysqlPseudoPath(ctx.configId, db), command: dumpBin(c), args: mysqlDumpArgs(options, db), env: {} }),
      toFile: async (db, dir) => {
        const file = join(dir, `${db}.sql`);
        await runClient({ command: dumpBin(c), args: mysqlDumpArgs(options, db), env: {}, signal: ctx.signal, stdoutFile: file, onStderrLine: (l) => ctx.log('stderr', l) });
        return file;
      },
    });
  },

  async restoreInit(ctx, c, req) {
    const target = checkDatabaseName(req.target, 'target database');
    const exists = (await query(ctx, c, `SHOW DATABASES LIKE '${target.replace(/_/g, '\\_')}'`)).length > 0;
    checkRestoreTarget(ctx, target, exists, req.overwrite);
    await query(ctx, c, `${exists ? `DROP DATABASE \`${target}\`; ` : ''}CREATE DATABASE \`${target}\``);
  },

  async restore(ctx, c, req) {
    await runClient({ command: clientBin(c), args: mysqlRestoreArgs(await optionFile(ctx, c), req.target), env: {}, signal: ctx.signal, stdinFrom: req.input, onStderrLine: (l) => ctx.log('stderr', l) });
    ctx.log('stdout', `mysql: ${req.pseudoPath} restored into "${req.target}"`);
  },

  async probeDatabase(ctx, c, req) {
    const database = checkDatabaseName(req.database, 'scratch database');
    const names = (await query(ctx, c, mysqlTablesSql(database))).slice(0, MAX_TABLES);
    const lines: string[] = [];
    for (let i = 0; i < names.length; i += COUNT_BATCH) lines.push(...(await query(ctx, c, mysqlRowCountsSql(database, names.slice(i, i + COUNT_BATCH)))));
    // The operator's query reads what was restored; a read-only transaction keeps it from writing.
    const probe = req.query ? { query: req.query, output: (await query(ctx, c, mysqlReadOnly(req.query), database)).slice(0, 100) } : null;
    return { tables: parseTableRows(lines, MAX_TABLES), query: probe };
  },

  async dropDatabase(ctx, c, database) {
    await query(ctx, c, `DROP DATABASE IF EXISTS \`${checkDatabaseName(database, 'scratch database')}\``);
  },

  async test(ctx, c) {
    return testDatabaseAccess(
      () => databasesOf(ctx, c),
      async (db) => runClient({ command: dumpBin(c), args: ['--defaults-extra-file=' + (await optionFile(ctx, c)), '--no-data', '--single-transaction', db], env: {}, signal: ctx.signal }),
    );
  },
};
