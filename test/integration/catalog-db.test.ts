// The catalog's transaction helper when PostgreSQL drops the connection mid-transaction, on a
// real PostgreSQL: found by the crash soak, where an API process died of an unheard 'error'
// event on a checked-out client while the catalog database was killed -9.
import { createPool, withTransaction } from '../../catalog/db';
import { startPostgres, type Postgres } from '../support/postgres';

let pg: Postgres;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.stop();
});

it('rolls back and throws, without ending the process, when the connection drops between two queries', async () => {
  const pool = createPool(pg.url, 2);
  try {
    const attempt = withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((r) => client.once('end', r));
      // The server ends this backend while the transaction awaits something else.
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await ended;
      await client.query('SELECT 1');
    });
    await expect(attempt).rejects.toThrow();
    // The broken client was destroyed, not handed out again: the pool still serves.
    for (let i = 0; i < 3; i++) expect((await pool.query<{ x: number }>('SELECT 1 AS x')).rows[0]!.x).toBe(1);
  } finally {
    await pool.end();
  }
});
