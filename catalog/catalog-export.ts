// Export and import of the whole catalog for a planned move: every table's rows as JSON,
// read in one snapshot and written in one transaction. Sealed values travel sealed, so the
// new place needs the same master key; token hashes, the internal CA and run history travel
// too, so agents and API tokens keep working after the move.
import type { Pool, PoolClient } from 'pg';
import { ConflictError, InputError } from '../contract/errors';
import { withTransaction } from './db';
import { loadMigrations, migrate, type Migration } from './migrate';

export const EXPORT_FORMAT = 'backstop-catalog-export';
export const EXPORT_FORMAT_VERSION = 1;

export interface CatalogExport {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  /** The last migration the exported catalog had: the import builds exactly that schema first. */
  schemaVersion: number;
  exportedAt: string;
  /** Rows per table, in an order where every row's references come before it. */
  tables: Record<string, Array<Record<string, unknown>>>;
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;
const BATCH = 500;

/** Tables of the catalog's schema (not the migration bookkeeping), parents before children. */
async function tablesInOrder(q: PoolClient): Promise<string[]> {
  const { rows: tables } = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'schema_migrations'
     ORDER BY c.relname`,
  );
  const { rows: refs } = await q.query<{ child: string; parent: string }>(
    `SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k
     JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
     WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`,
  );
  return parentsFirst(
    tables.map((t) => t.name),
    refs,
  );
}

/** Topological order of `tables` by `refs` (self-references ignored: one INSERT holds a table's rows). */
export function parentsFirst(tables: readonly string[], refs: ReadonlyArray<{ child: string; parent: string }>): string[] {
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string): void => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new Error(`the catalog's tables reference each other in a cycle through ${t}`);
    state.set(t, 'visiting');
    for (const r of refs) if (r.child === t && r.parent !== t && tables.includes(r.parent)) visit(r.parent);
    state.set(t, 'done');
    ordered.push(t);
  };
  for (const t of tables) visit(t);
  return ordered;
}

export async function exportCatalog(pool: Pool, now: Date = new Date()): Promise<CatalogExport> {
  return withTransaction(pool, async (q) => {
    // One consistent snapshot of every table, even while the API keeps writing.
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: v } = await q.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const tables: CatalogExport['tables'] = {};
    for (const t of await tablesInOrder(q)) {
      const { rows } = await q.query<{ row: Record<string, unknown> }>(`SELECT row_to_json(t) AS row FROM ${quote(t)} t`);
      tables[t] = rows.map((r) => r.row);
    }
    return { format: EXPORT_FORMAT, formatVersion: EXPORT_FORMAT_VERSION, schemaVersion: Number(v[0]?.version ?? 0), exportedAt: now.toISOString(), tables };
  });
}

/** What a file claims to be, checked before anything is written. */
export function parseCatalogExport(text: string): CatalogExport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InputError('the import file is not JSON (expected a file written by `backstop admin export`)');
  }
  const e = data as Partial<CatalogExport> | null;
  if (!e || typeof e !== 'object' || e.format !== EXPORT_FORMAT) throw new InputError('the import file is not a Backstop catalog export');
  if (e.formatVersion !== EXPORT_FORMAT_VERSION) throw new InputError(`the import file has export format ${String(e.formatVersion)}; this Backstop reads format ${EXPORT_FORMAT_VERSION}`);
  if (!Number.isInteger(e.schemaVersion) || !e.tables || typeof e.tables !== 'object') throw new InputError('the import file has no schema version or no tables');
  for (const [t, rows] of Object.entries(e.tables)) if (!Array.isArray(rows)) throw new InputError(`the import file's table ${t} is not a list of rows`);
  return e as CatalogExport;
}

export interface ImportReport {
  rows: Record<string, number>;
  schemaVersion: number;
}

/**
 * Imports `data` into an empty catalog: the schema is built up to the export's migration,
 * the rows go in in one transaction (all or none), sequences move past the imported ids,
 * and the later migrations run after. A catalog with any row is refused.
 */
export async function importCatalog(pool: Pool, data: CatalogExport, migrations: Migration[] = loadMigrations()): Promise<ImportReport> {
  const latest = migrations.at(-1)?.version ?? 0;
  if (data.schemaVersion > latest) throw new InputError(`the export is from a newer Backstop (catalog schema ${data.schemaVersion}; this one knows up to ${latest})`);
  await migrate(pool, migrations.filter((m) => m.version <= data.schemaVersion));
  const report = await withTransaction(pool, async (q) => {
    const { rows: v } = await q.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const at = Number(v[0]?.version ?? 0);
    if (at !== data.schemaVersion) throw new ConflictError(`this catalog is at schema ${at}, the export at ${data.schemaVersion}: import into a new, empty database`);
    const tables = await tablesInOrder(q);
    // Nobody may write while we check and fill: the check stays true until we commit.
    for (const t of tables) await q.query(`LOCK TABLE ${quote(t)} IN EXCLUSIVE MODE`);
    const nonEmpty: string[] = [];
    for (const t of tables) {
      const { rows } = await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(t)}`);
      if (Number(rows[0]!.n) > 0) nonEmpty.push(`${t} (${rows[0]!.n} rows)`);
    }
    if (nonEmpty.length > 0) throw new ConflictError(`the catalog is not empty: ${nonEmpty.join(', ')}. Import only into a new, empty database (before the API first starts on it)`);
    const unknown = Object.keys(data.tables).filter((t) => !tables.includes(t));
    if (unknown.length > 0) throw new InputError(`the export has tables this catalog does not: ${unknown.join(', ')}`);
    const rows: Record<string, number> = {};
    for (const t of tables) {
      const all = data.tables[t] ?? [];
      for (let i = 0; i < all.length; i += BATCH) {
        // The table's own row type parses each JSON field: timestamps, arrays, jsonb, bytea.
        await q.query(`INSERT INTO ${quote(t)} SELECT * FROM json_populate_recordset(NULL::${quote(t)}, $1::json)`, [JSON.stringify(all.slice(i, i + BATCH))]);
      }
      rows[t] = all.length;
    }
    // Serial columns: the next id must come after the imported ones.
    const { rows: serials } = await q.query<{ table: string; column: string; seq: string }>(
      `SELECT c.table_name AS table, c.column_name AS column, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
       FROM information_schema.columns c WHERE c.table_schema = current_schema() AND pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) IS NOT NULL`,
    );
    for (const s of serials) {
      if ((rows[s.table] ?? 0) === 0) continue;
      await q.query(`SELECT setval($1, (SELECT max(${quote(s.column)}) FROM ${quote(s.table)}))`, [s.seq]);
    }
    return { rows, schemaVersion: data.schemaVersion };
  });
  await migrate(pool, migrations);
  return report;
}
