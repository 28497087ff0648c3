// pg_dump: each database (or every non-template one) in custom format, streamed into the
// repository at /backstop/pg_dump/config-<id>/<db>.dump or dumped into the work directory
// that the backup includes. Restores with pg_restore into a new database, or over an
// existing one only when asked.
import { join } from 'node:path';
import { absolutePath } from '../config-fields';
import type { BackstopPlugin, PluginContext } from '../../../../contract/plugin-api';
import { checkRestoreTarget, clientLines, dumpDatabases, parseTableRows, testDatabaseAccess } from './dump-steps';
import { parseDbConfig, type DbConfig } from './db-config';
import { checkDatabaseName } from './identifiers';
import { createDbArgs, databaseExistsSql, dropDbArgs, LIST_DATABASES_SQL, pgBin, pgDumpArgs, pgEnv, pgPseudoPath, pgRestoreArgs, psqlQueryArgs, psqlRowsArgs, READ_ONLY_SESSION, TABLE_ROWS_SQL, type PgConnection } from './postgres-commands';
import { runClient } from './run-client';

export const PG_DUMP = 'pg_dump';

export interface PgDumpConfig extends DbConfig {
  binDir?: string;
}

export function parsePgDumpConfig(raw: unknown): PgDumpConfig {
  const { config, raw: s } = parseDbConfig(raw, PG_DUMP, ['binDir']);
  const binDir = absolutePath(s, PG_DUMP, 'binDir', false);
  return { ...config, ...(binDir ? { binDir } : {}) };
}

const conn = (c: PgDumpConfig): PgConnection => c;

async function query(ctx: PluginContext, c: PgDumpConfig, sql: string): Promise<string[]> {
  return clientLines({ command: pgBin(c, 'psql'), args: psqlQueryArgs(sql), env: pgEnv(conn(c)), signal: ctx.signal });
}

async function databasesOf(ctx: PluginContext, c: PgDumpConfig): Promise<string[]> {
  return c.databases ?? (await query(ctx, c, LIST_DATABASES_SQL)).map((d) => checkDatabaseName(d));
}

export const pgDumpPlugin: BackstopPlugin<PgDumpConfig> = {
  type: PG_DUMP,
  description: 'PostgreSQL databases with pg_dump (custom format), streamed or dumped to a directory',
  capabilities: { engines: ['restic'], restoreTargets: ['database'] },
  secretFields: ['password'],
  parseConfig: parsePgDumpConfig,

  async backup(ctx, c) {
    return dumpDatabases(ctx, {
      label: PG_DUMP,
      mode: c.mode,
      databases: await databasesOf(ctx, c),
      stream: (db) => ({ item: db, pseudoPath: pgPseudoPath(ctx.configId, db), command: pgBin(c, 'pg_dump'), args: pgDumpArgs(db), env: pgEnv(conn(c)) }),
      toFile: async (db, dir) => {
        const file = join(dir, `${db}.dump`);
        await runClient({ command: pgBin(c, 'pg_dump'), args: pgDumpArgs(db, file), env: pgEnv(conn(c)), signal: ctx.signal, onStderrLine: (l) => ctx.log('stderr', l) });
        return file;
      },
    });
  },

  async restoreInit(ctx, c, req) {
    const target = checkDatabaseName(req.target, 'target database');
    const exists = (await query(ctx, c, databaseExistsSql(target))).length > 0;
    checkRestoreTarget(ctx, target, exists, req.overwrite);
    if (exists) {
      await runClient({ command: pgBin(c, 'dropdb'), args: dropDbArgs(target), env: pgEnv(conn(c)), signal: ctx.signal });
    }
    await runClient({ command: pgBin(c, 'createdb'), args: createDbArgs(target), env: pgEnv(conn(c)), signal: ctx.signal });
  },

  async restore(ctx, c, req) {
    await runClient({ command: pgBin(c, 'pg_restore'), args: pgRestoreArgs(req.target), env: pgEnv(conn(c)), signal: ctx.signal, stdinFrom: req.input, onStderrLine: (l) => ctx.log('stderr', l) });
    ctx.log('stdout', `pg_restore: ${req.pseudoPath} restored into "${req.target}"`);
  },

  async probeDatabase(ctx, c, req) {
    const database = checkDatabaseName(req.database, 'scratch database');
    const rows = (sql: string, env: Record<string, string>) => clientLines({ command: pgBin(c, 'psql'), args: psqlRowsArgs(sql, database), env: { ...pgEnv(conn(c)), ...env }, signal: ctx.signal });
    const tables = parseTableRows(await rows(TABLE_ROWS_SQL, {}));
    // The operator's query reads what was restored; a read-only session keeps it from writing.
    const query = req.query ? { query: req.query, output: (await rows(req.query, READ_ONLY_SESSION)).slice(0, 100) } : null;
    return { tables, query };
  },

  async dropDatabase(ctx, c, database) {
    await runClient({ command: pgBin(c, 'dropdb'), args: dropDbArgs(checkDatabaseName(database, 'scratch database')), env: pgEnv(conn(c)), signal: ctx.signal });
  },

  async test(ctx, c) {
    return testDatabaseAccess(
      () => databasesOf(ctx, c),
      (db) => runClient({ command: pgBin(c, 'pg_dump'), args: ['--schema-only', ...pgDumpArgs(db, join(ctx.workDir, 'test.dump'))], env: pgEnv(conn(c)), signal: ctx.signal }),
    );
  },
};
