// pg_dump: each database (or every non-template one) in custom format, streamed into the
// repository at /backstop/pg_dump/config-<id>/<db>.dump or dumped into the work directory
// that the backup includes. Restores with pg_restore into a new database, or over an
// existing one only when asked.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../core/errors';
import { absolutePath } from '../config-fields';
import { reportOf, type BackstopPlugin, type PluginCheck, type PluginContext, type StreamItem } from '../api';
import { parseDbConfig, type DbConfig } from './db-config';
import { checkDatabaseName } from './identifiers';
import { createDbArgs, databaseExistsSql, dropDbArgs, LIST_DATABASES_SQL, pgBin, pgDumpArgs, pgEnv, pgPseudoPath, pgRestoreArgs, psqlQueryArgs, type PgConnection } from './postgres-commands';
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
  const out = await runClient({ command: pgBin(c, 'psql'), args: psqlQueryArgs(sql), env: pgEnv(conn(c)), signal: ctx.signal });
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
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
    const databases = await databasesOf(ctx, c);
    ctx.log('stdout', `pg_dump: ${databases.length} database${databases.length === 1 ? '' : 's'} (${databases.join(', ')}), ${c.mode} mode`);
    if (c.mode === 'stream') {
      const streams: StreamItem[] = databases.map((db) => ({ item: db, pseudoPath: pgPseudoPath(ctx.configId, db), command: pgBin(c, 'pg_dump'), args: pgDumpArgs(db), env: pgEnv(conn(c)) }));
      return { paths: [], streams };
    }
    const dir = join(ctx.workDir, 'pg_dump');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const db of databases) {
      // pg_dump's exit status decides: a failed dump fails the run, nothing half-written is kept as good.
      await runClient({ command: pgBin(c, 'pg_dump'), args: pgDumpArgs(db, join(dir, `${db}.dump`)), env: pgEnv(conn(c)), signal: ctx.signal, onStderrLine: (l) => ctx.log('stderr', l) });
      ctx.log('stdout', `pg_dump: ${db} dumped to ${join(dir, `${db}.dump`)}`);
    }
    return { paths: [dir], streams: [] };
  },

  async restoreInit(ctx, c, req) {
    const target = checkDatabaseName(req.target, 'target database');
    const exists = (await query(ctx, c, databaseExistsSql(target))).length > 0;
    if (exists && !req.overwrite) throw new InputError(`database "${target}" already exists: choose a new name, or ask to overwrite it explicitly`);
    if (exists) {
      ctx.log('stdout', `dropping the existing database "${target}" (overwrite requested)`);
      await runClient({ command: pgBin(c, 'dropdb'), args: dropDbArgs(target), env: pgEnv(conn(c)), signal: ctx.signal });
    }
    await runClient({ command: pgBin(c, 'createdb'), args: createDbArgs(target), env: pgEnv(conn(c)), signal: ctx.signal });
  },

  async restore(ctx, c, req) {
    await runClient({ command: pgBin(c, 'pg_restore'), args: pgRestoreArgs(req.target), env: pgEnv(conn(c)), signal: ctx.signal, stdinFrom: req.input, onStderrLine: (l) => ctx.log('stderr', l) });
    ctx.log('stdout', `pg_restore: ${req.pseudoPath} restored into "${req.target}"`);
  },

  async test(ctx, c) {
    const checks: PluginCheck[] = [];
    let databases: string[] = [];
    try {
      databases = await databasesOf(ctx, c);
      checks.push({ name: 'connect', ok: true, detail: `connected; databases: ${databases.join(', ') || '(none)'}` });
    } catch (e) {
      return reportOf([{ name: 'connect', ok: false, detail: (e as Error).message }]);
    }
    // A small dump: the schema of the first database, thrown away.
    const first = databases[0];
    if (first) {
      try {
        await runClient({ command: pgBin(c, 'pg_dump'), args: ['--schema-only', ...pgDumpArgs(first, join(ctx.workDir, 'test.dump'))], env: pgEnv(conn(c)), signal: ctx.signal });
        checks.push({ name: `dump ${first}`, ok: true, detail: 'schema-only dump succeeded' });
      } catch (e) {
        checks.push({ name: `dump ${first}`, ok: false, detail: (e as Error).message });
      }
    }
    return reportOf(checks);
  },
};
