// Smoke test of README command 1's stack: `backstop up` on PGlite and the Temporal dev
// server, with the sample backup and restore check, then a clean Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '../../catalog/db';
import { Catalog } from '../../catalog/store';
import { SecretBox, loadMasterKey } from '../../core/secrets';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';
import { restic } from '../support/restic';
import { ROOT } from '../support/tools';

jest.setTimeout(240_000);

it('backs up and restores the sample on PGlite, and stops every child on SIGINT', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-up-'));
  const [api, temporal, ui, catalogPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const up = spawn(join(ROOT, 'bin', 'backstop'), ['up'], {
    env: {
      ...process.env,
      BACKSTOP_DATA_DIR: dataDir,
      BACKSTOP_API_PORT: String(api),
      BACKSTOP_TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      BACKSTOP_UI_PORT: String(ui),
      BACKSTOP_CATALOG_PORT: String(catalogPort),
      DATABASE_URL: '',
      BACKSTOP_MASTER_KEY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  up.stdout.on('data', (d: Buffer) => (out += d.toString()));
  up.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
  try {
    await waitFor('the sample restore check', async () => {
      if (up.exitCode !== null) throw new Error(`up exited early:\n${out}`);
      return /Restore check: \d+ files restored byte-equal/.test(out);
    }, 200_000, 500);
    expect(out).toContain(`API:          http://127.0.0.1:${api}`);
    expect(out).toMatch(/token: bst_/);
    expect(out).toContain(`Temporal UI:  http://127.0.0.1:${ui}`);
    const snapshotId = /snapshot ([0-9a-f]{64})/.exec(out)?.[1];
    expect(snapshotId).toBeDefined();

    // The repository itself is sound: read its password the way the product stores it.
    const pool = createPool(`postgres://postgres:postgres@127.0.0.1:${catalogPort}/postgres`, 1);
    const sealed = await new Catalog(pool).getRepositorySealedPassword(1);
    await pool.end();
    const password = SecretBox.fromKey(loadMasterKey(undefined, join(dataDir, 'master.key'))).open(sealed, 'repository:1');
    const snaps = JSON.parse(await restic(join(dataDir, 'repos', 'sample'), password, ['snapshots', '--json'])) as Array<{ id: string }>;
    expect(snaps.map((s) => s.id)).toEqual([snapshotId]);
    await restic(join(dataDir, 'repos', 'sample'), password, ['check']);
  } finally {
    up.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('backstop: stopping');
});
