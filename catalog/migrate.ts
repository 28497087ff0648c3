// Numbered plain-SQL migrations (`NNN_name.sql`), each applied once in its own
// transaction and recorded in schema_migrations.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { withTransaction } from './db';
import { projectRoot } from '../core/project-root';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = join(projectRoot(), 'catalog', 'migrations');

export function parseMigrationFileName(file: string): { version: number; name: string } | null {
  const m = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
  return m ? { version: Number(m[1]), name: m[2]! } : null;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, parsed: parseMigrationFileName(file) }))
    .filter((f) => f.parsed !== null)
    .map(({ file, parsed }) => ({ ...parsed!, sql: readFileSync(join(dir, file), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  const versions = new Set<number>();
  for (const m of migrations) {
    if (versions.has(m.version)) throw new Error(`duplicate migration version ${m.version}`);
    versions.add(m.version);
  }
  return migrations;
}

/** Applies pending migrations; returns the versions applied now. */
export async function migrate(pool: Pool, migrations = loadMigrations()): Promise<number[]> {
  await pool.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await withTransaction(pool, async (tx) => {
      // Two processes migrating at once: the second waits here, then sees the row.
      await tx.query('LOCK TABLE schema_migrations IN EXCLUSIVE MODE');
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (seen.rowCount) return false;
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
