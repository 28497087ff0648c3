// The embedded stack's catalog under concurrency (issue 11): the private PostgreSQL that
// `backstop up` runs, started by the same code, probed through the API's own pool and
// transaction helper. PGlite, the catalog before it, failed this probe at once (bind and
// portal errors, one session shared by every connection).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareEmbeddedPostgres } from '../../workers/embedded/embedded-postgres';
import { createPool, waitForDatabase } from '../../catalog/db';
import { runCatalogProbe } from '../support/catalog-probe';

jest.setTimeout(180_000);

it('commits, rolls back and fails transactions beside parameterized reads with no error and no dirty read', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-probe-'));
  const pg = await prepareEmbeddedPostgres(dataDir);
  const server = spawn(pg.command, pg.args, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  try {
    const ready = createPool(pg.layout.databaseUrl, 1);
    await waitForDatabase(ready, 60_000);
    await ready.end();

    const result = await runCatalogProbe(pg.layout.databaseUrl, { poolSize: 8, writers: 4, readers: 4, rounds: 60 });
    expect(result.unexpectedErrors).toEqual([]);
    expect(result.dirtyReads).toBe(0);
    expect(result.injectedFailures).toBe(4 * 20);
    expect(result.committedRows).toBe(result.expectedCommittedRows);
    expect(result.committedRows).toBe(4 * 20 * 2);
  } finally {
    server.kill('SIGINT');
    await exited;
  }
});
