import { Pool, type PoolClient, type QueryResultRow } from 'pg';

export type Db = Pool;

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export function createPool(connectionString: string, max = 5): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction; any throw rolls back, so no half-written rows. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client whose connection drops between two queries (the database
  // restarted while `fn` awaited something else) emits 'error'; unheard, that ends the
  // process. Heard, the transaction's next query fails, it rolls back, and the broken client
  // is destroyed on release instead of going back to the pool.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Where a catalog aggregate's queries go: the pool, or the client of a transaction already
 * open. `transaction` makes a multi-statement write atomic: on the pool it opens one; inside
 * a transaction it joins the one already open (no nesting, the caller's commit decides).
 */
export interface Session {
  readonly q: Queryable;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export function poolSession(pool: Pool): Session {
  return { q: pool, transaction: (fn) => withTransaction(pool, fn) };
}

export function transactionSession(client: Queryable): Session {
  return { q: client, transaction: (fn) => fn(client) };
}

/** Waits until the database accepts a query (it may still be starting). */
export async function waitForDatabase(pool: Pool, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
