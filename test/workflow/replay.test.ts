// Replays histories recorded from real runs (the integration tests, run with
// RECORD_HISTORIES=1). A change to workflow code that would break running workflows —
// a reordered, added or removed step without patched() — fails here.
// backup-snapshot-before-lock.json and backup-lock-first.json were recorded on the
// time-skipping server with fake activities: a plain backup before and after the
// run-envelope patch (snapshot before the lock, server activities; lock first, local
// activities). Without the patch guard in workflows/backup.ts every older backup history
// fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { quietRuntime } from './support/time-skipping';
import { workflowBundle } from './support/bundles';

jest.setTimeout(120_000);

const dir = join(__dirname, 'histories');

beforeAll(quietRuntime);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

it.each(files)('replays %s deterministically', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle(require.resolve('../../workflows')), replayName: file }, history);
});
