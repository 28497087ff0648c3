// A concurrency probe for a catalog database, through the pool and transaction helper the
// API uses (catalog/db.ts): writers commit, roll back, and fail a statement inside their
// transactions while readers run parameterized queries beside them. A safe database shows
// no error but the injected ones and never lets a reader see a row that was not committed.
import { createPool, withTransaction } from '../../catalog/db';

export interface ProbeResult {
  /** Errors other than the injected unique violations. */
  unexpectedErrors: string[];
  /** Rows seen by a reader that no transaction ever committed. */
  dirtyReads: number;
  committedRows: number;
  expectedCommittedRows: number;
  injectedFailures: number;
}

class Injected extends Error {}

export async function runCatalogProbe(databaseUrl: string, opts: { poolSize?: number; writers?: number; readers?: number; rounds?: number } = {}): Promise<ProbeResult> {
  const { poolSize = 8, writers = 4, readers = 4, rounds = 60 } = opts;
  const pool = createPool(databaseUrl, poolSize);
  const unexpectedErrors: string[] = [];
  let dirtyReads = 0;
  let expectedCommittedRows = 0;
  let injectedFailures = 0;
  let writing = true;
  try {
    await pool.query('DROP TABLE IF EXISTS catalog_probe');
    await pool.query('CREATE TABLE catalog_probe (id bigserial PRIMARY KEY, tag text NOT NULL UNIQUE, writer integer NOT NULL, committed boolean NOT NULL)');

    const writer = async (w: number) => {
      for (let i = 0; i < rounds; i++) {
        const mode = i % 3;
        try {
          await withTransaction(pool, async (tx) => {
            // Two rows per transaction, each checked by a parameterized read of its own.
            for (const n of [0, 1]) {
              await tx.query('INSERT INTO catalog_probe (tag, writer, committed) VALUES ($1, $2, $3)', [`w${w}-r${i}-${n}`, w, mode === 0]);
              const mine = await tx.query<{ n: string }>('SELECT count(*) AS n FROM catalog_probe WHERE writer = $1 AND tag = $2', [w, `w${w}-r${i}-${n}`]);
              if (Number(mine.rows[0]!.n) !== 1) unexpectedErrors.push(`writer ${w} round ${i}: its own row not visible in its transaction`);
            }
            if (mode === 1) throw new Injected('roll back');
            if (mode === 2) await tx.query('INSERT INTO catalog_probe (tag, writer, committed) VALUES ($1, $2, $3)', [`w${w}-r${i}-0`, w, false]);
          });
          if (mode === 0) expectedCommittedRows += 2;
          else unexpectedErrors.push(`writer ${w} round ${i}: mode ${mode} committed`);
        } catch (err) {
          if (err instanceof Injected) continue;
          if ((err as { code?: string }).code === '23505' && mode === 2) {
            injectedFailures++;
            continue;
          }
          unexpectedErrors.push(`writer ${w} round ${i}: ${(err as Error).message}`);
        }
      }
    };
    const reader = async (r: number) => {
      while (writing) {
        try {
          const dirty = await pool.query<{ n: string }>('SELECT count(*) AS n FROM catalog_probe WHERE committed = $1 AND writer >= $2', [false, 0]);
          dirtyReads += Number(dirty.rows[0]!.n);
          const some = await pool.query<{ tag: string }>('SELECT tag FROM catalog_probe WHERE writer = $1 AND tag LIKE $2 ORDER BY id LIMIT $3', [r % writers, `w${r % writers}-%`, 5]);
          for (const row of some.rows) if (!row.tag.startsWith(`w${r % writers}-`)) unexpectedErrors.push(`reader ${r}: a row of another writer for its parameters: ${row.tag}`);
        } catch (err) {
          unexpectedErrors.push(`reader ${r}: ${(err as Error).message}`);
        }
      }
    };
    const readersDone = Promise.all(Array.from({ length: readers }, (_, r) => reader(r)));
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    writing = false;
    await readersDone;
    const committed = await pool.query<{ n: string }>('SELECT count(*) AS n FROM catalog_probe WHERE committed');
    const uncommitted = await pool.query<{ n: string }>('SELECT count(*) AS n FROM catalog_probe WHERE NOT committed');
    dirtyReads += Number(uncommitted.rows[0]!.n);
    await pool.query('DROP TABLE catalog_probe');
    return { unexpectedErrors, dirtyReads, committedRows: Number(committed.rows[0]!.n), expectedCommittedRows, injectedFailures };
  } finally {
    await pool.end();
  }
}
