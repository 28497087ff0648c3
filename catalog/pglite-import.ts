// Copies a catalog kept by an earlier Backstop in PGlite (data/catalog) into PostgreSQL.
//
// The PGlite database is opened in this process (one session, nothing else touching it).
// The target is brought to the PGlite catalog's own migration level, every table's rows are
// copied as JSON (json_populate_recordset turns each back into the table's own types, so
// arrays, jsonb, bytea and timestamps survive unchanged), sequences are moved past the copied
// ids, and the caller then applies the newer migrations as on any start. One transaction on
// the target: a failure leaves it empty, and the PGlite files are never written.
import type { Pool } from 'pg';
import { withTransaction } from './db';
import { loadMigrations, migrate } from './migrate';

export interface PgliteImport {
  /** The PGlite catalog's migration level. */
  version: number;
  /** Rows copied, per table. */
  tables: Record<string, number>;
}

/** The subset of PGlite's API this module uses. */
interface PgliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  close(): Promise<void>;
}

const BATCH = 500;

export async function importPgliteCatalog(dir: string, target: Pool): Promise<PgliteImport> {
  const { PGlite } = await import('@electric-sql/pglite');
  const source = (await PGlite.create(dir)) as unknown as PgliteLike;
  try {
    const levels = await source.query<{ v: number | null }>('SELECT max(version)::int AS v FROM schema_migrations');
    const version = levels.rows[0]?.v ?? 0;
    const existing = await target.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'schema_migrations'`);
    if (Number(existing.rows[0]!.n) > 0) throw new Error('the target catalog already has a schema; import into a new, empty one');
    await migrate(target, loadMigrations().filter((m) => m.version <= version));

    const tables = (
      await source.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name`,
      )
    ).rows.map((r) => r.name);
    const copied: Record<string, number> = {};
    await withTransaction(target, async (tx) => {
      // Rows go in whatever order; foreign keys are checked by the data already being whole.
      await tx.query('SET LOCAL session_replication_role = replica');
      if (tables.length) await tx.query(`TRUNCATE ${tables.map(quoteIdent).join(', ')} CASCADE`);
      for (const table of tables) {
        const rows = (await source.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${quoteIdent(table)} t`)).rows.map((r) => r.j);
        for (let i = 0; i < rows.length; i += BATCH) {
          await tx.query(`INSERT INTO ${quoteIdent(table)} SELECT * FROM json_populate_recordset(NULL::${quoteIdent(table)}, $1::json)`, [`[${rows.slice(i, i + BATCH).join(',')}]`]);
        }
        copied[table] = rows.length;
      }
      // Serial columns: the next id continues after the copied ones.
      const sequences = await tx.query<{ tbl: string; col: string; seq: string }>(
        `SELECT c.relname AS tbl, a.attname AS col, s.relname AS seq
           FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a'
           JOIN pg_class c ON c.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
           JOIN pg_namespace n ON n.oid = s.relnamespace
          WHERE s.relkind = 'S' AND n.nspname = 'public'`,
      );
      for (const s of sequences.rows) {
        await tx.query(`SELECT setval($1, COALESCE((SELECT max(${quoteIdent(s.col)}) FROM ${quoteIdent(s.tbl)}), 0) + 1, false)`, [s.seq]);
      }
    });
    return { version, tables: copied };
  } finally {
    await source.close();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
