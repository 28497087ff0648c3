// The steps both database plugins (pg_dump, mysql_dump) take the same way: reading a query's
// rows through the client, dumping every database (one stream each, or one file each in the
// work directory), refusing to restore over an existing database unless asked, and the
// plugin test (connect, then a schema-only dump of the first database).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../../contract/errors';
import { reportOf, type BackupContribution, type PluginCheck, type PluginContext, type PluginTestReport, type StreamItem } from '../../../../contract/plugin-api';
import type { DumpMode } from './db-config';
import { runClient, type ClientRun } from './run-client';

/** The client's output, one trimmed non-empty line per row. */
export async function clientLines(run: ClientRun): Promise<string[]> {
  const out = await runClient(run);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export interface DumpEach {
  /** The plugin's name, as log lines and the work subdirectory say it. */
  label: string;
  mode: DumpMode;
  databases: string[];
  stream(db: string): StreamItem;
  /** Dumps one database into `dir`; returns the file written. The tool's exit status decides. */
  toFile(db: string, dir: string): Promise<string>;
}

/** Streams: one per database, for the engine to store. Directory: every dump written before the engine reads it. */
export async function dumpDatabases(ctx: PluginContext, d: DumpEach): Promise<BackupContribution> {
  const n = d.databases.length;
  ctx.log('stdout', `${d.label}: ${n} database${n === 1 ? '' : 's'} (${d.databases.join(', ')}), ${d.mode} mode`);
  if (d.mode === 'stream') return { paths: [], streams: d.databases.map((db) => d.stream(db)) };
  const dir = join(ctx.workDir, d.label);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const db of d.databases) ctx.log('stdout', `${d.label}: ${db} dumped to ${await d.toFile(db, dir)}`);
  return { paths: [dir], streams: [] };
}

/** A restore never replaces a database nobody asked it to. */
export function checkRestoreTarget(ctx: PluginContext, target: string, exists: boolean, overwrite: boolean): void {
  if (exists && !overwrite) throw new InputError(`database "${target}" already exists: choose a new name, or ask to overwrite it explicitly`);
  if (exists) ctx.log('stdout', `dropping the existing database "${target}" (overwrite requested)`);
}

/** Connect (list the databases), then a schema-only dump of the first, thrown away. */
export async function testDatabaseAccess(listDatabases: () => Promise<string[]>, dumpSchema: (db: string) => Promise<unknown>): Promise<PluginTestReport> {
  let databases: string[];
  try {
    databases = await listDatabases();
  } catch (e) {
    return reportOf([{ name: 'connect', ok: false, detail: (e as Error).message }]);
  }
  const checks: PluginCheck[] = [{ name: 'connect', ok: true, detail: `connected; databases: ${databases.join(', ') || '(none)'}` }];
  const first = databases[0];
  if (first) {
    try {
      await dumpSchema(first);
      checks.push({ name: `dump ${first}`, ok: true, detail: 'schema-only dump succeeded' });
    } catch (e) {
      checks.push({ name: `dump ${first}`, ok: false, detail: (e as Error).message });
    }
  }
  return reportOf(checks);
}

/** `name<TAB>rows` lines (a drill's table counts, either server's) as tables; at most `max`. */
export function parseTableRows(lines: readonly string[], max = 1000): Array<{ name: string; rows: number }> {
  const out: Array<{ name: string; rows: number }> = [];
  for (const line of lines) {
    const tab = line.lastIndexOf('\t');
    if (tab <= 0) continue;
    const rows = Number(line.slice(tab + 1).trim());
    if (!Number.isFinite(rows)) continue;
    out.push({ name: line.slice(0, tab), rows });
    if (out.length >= max) break;
  }
  return out;
}
