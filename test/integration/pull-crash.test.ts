// Pull mode under crashes, on the real stack: kill -9 the server worker while restic reads the
// export (the retry mounts again), kill -9 the agent while its export is read (the workflow
// exports again). Each run ends with exactly one snapshot, no lock, and no mount or export
// process left behind.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Component, type Stack } from '../support/stack';
import { restic, snapshotsTagged, locks } from '../support/restic';
import { waitFor } from '../support/wait';
import { writeRandomFiles } from '../support/random-files';
import { runTag } from '../../contract/names';

jest.setTimeout(300_000);

const run = promisify(execFile);
let pg: Postgres;
let stack: Stack;
let dataset: string;
let work: string;
const PASSWORD = 'pull-crash-test-password';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-pull-crash-'));
  dataset = join(work, 'dataset');
  // 160 MiB restic cannot deduplicate, uploaded at 16 MiB/s: some 10 s to kill a process in.
  writeRandomFiles(dataset, 20, 8 * 1024 * 1024, { subdirs: 8 });
  pg = await startPostgres();
  const slowRestic = join(work, 'restic-16mibs');
  writeFileSync(slowRestic, '#!/bin/sh\nexec restic --limit-upload 16384 "$@"\n', { mode: 0o755 });
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '4000', BACKSTOP_RESTIC: slowRestic } });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
});

/** Processes of pull mode still alive: sshfs mounts of exports, export sftp-servers. */
async function leftovers(): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => l.includes('backstop-export:/') || l.includes('/.backstop-sftp/sftp-server'));
}

async function sshfsMounts(): Promise<string> {
  const { stdout } = await run('findmnt', ['-rn', '-t', 'fuse.sshfs', '-o', 'TARGET']).catch(() => ({ stdout: '' }));
  return stdout.trim();
}

async function crashMidPull(component: Component, name: string): Promise<void> {
  const repoPath = join(work, `repo-${name}`);
  const repo = await stack.api.createRepository({ name, url: repoPath, password: PASSWORD });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths: [dataset], mode: 'pull' });
  const { runId, workflowId } = await stack.api.runJob(job.id);

  await waitFor('engine progress through the export', async () => {
    const r = await stack.api.getRun(runId);
    if (r.status !== 'running' && r.status !== 'queued') throw new Error(`run ended early: ${r.status} ${r.failureReason}`);
    return r.progress && r.progress.bytesDone > 0 ? r.progress : null;
  }, 60_000, 100);
  await stack.kill9(component);
  await stack.start(component);

  const finished = await stack.api.waitForRun(runId, { timeoutMs: 240_000 });
  expect(finished).toMatchObject({ status: 'succeeded', failureReason: null });
  const tagged = await snapshotsTagged(repoPath, PASSWORD, runTag(workflowId));
  expect(tagged.map((s) => s.id)).toEqual([finished.snapshotId]);
  expect(await locks(repoPath, PASSWORD)).toEqual([]);
  await restic(repoPath, PASSWORD, ['check']);
  // The run's cleanup closed the export; the namespaces went with their processes.
  await waitFor('export processes gone', async () => ((await leftovers()).length === 0 ? true : null), 30_000, 200);
  expect(await sshfsMounts()).toBe('');
}

it('finishes with exactly one snapshot when the server worker is killed while restic reads the export', async () => {
  await crashMidPull('server-worker', 'pull-crash-server');
});

it('finishes with exactly one snapshot when the agent is killed while its export is read', async () => {
  await crashMidPull('agent', 'pull-crash-agent');
});
