// The crash test on borg (issue 14): kill -9 the agent worker in the middle of a push backup,
// then the server worker in the middle of a pull backup (borg on the server reading the
// agent's export); start it again; the run must finish with exactly one archive carrying its
// run tag, no lock left behind, and a clean `borg check`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Component, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { writeRandomFiles } from '../support/random-files';
import { runTag } from '../../contract/names';
import type { JobMode } from '../../contract/model';
import { pullProcesses, sshfsMounts } from '../support/pull-mode';

jest.setTimeout(300_000);

const run = promisify(execFile);
const PASSWORD = 'borg crash test passphrase';

let pg: Postgres;
let stack: Stack;
let dataset: string;
let work: string;

const borgEnv = () => ({ ...process.env, BORG_PASSPHRASE: PASSWORD, BORG_BASE_DIR: join(work, 'borg-base'), TZ: 'UTC' });

async function archivesTagged(repoPath: string, tag: string): Promise<string[]> {
  const { stdout } = await run('borg', ['list', '--json', '--format', '{id}{comment}', repoPath], { env: borgEnv() });
  const archives = (JSON.parse(stdout) as { archives: Array<{ id: string; comment: string }> }).archives;
  return archives.filter((a) => a.comment.includes(JSON.stringify(tag))).map((a) => a.id);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-borg-crash-'));
  dataset = join(work, 'dataset');
  // 48 MiB borg cannot deduplicate.
  writeRandomFiles(dataset, 6, 8 * 1024 * 1024, { subdirs: 3 });
  pg = await startPostgres();
  // borg has no upload limit for local repositories; compressing with zstd at level 22 makes
  // the dataset take ~10 s on any machine (CPU-bound): time to see progress and kill a
  // process mid-run. `exec` keeps borg's own PID and command line (the run tag), as the
  // workers expect.
  const slowBorg = join(work, 'borg-zstd22');
  writeFileSync(slowBorg, '#!/bin/sh\nif [ "$1" = create ]; then shift; exec borg create --compression zstd,22 "$@"; fi\nexec borg "$@"\n', { mode: 0o755 });
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '4000', BACKSTOP_BORG: slowBorg } });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function crashMidBackup(component: Component, name: string, mode: JobMode): Promise<void> {
  const repoPath = join(work, `repo-${name}`);
  const repo = await stack.api.createRepository({ name, engine: 'borg', url: repoPath, password: PASSWORD });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths: [dataset], mode });
  const { runId, workflowId } = await stack.api.runJob(job.id);

  // borg reports bytes as it reads (and compresses) them: any progress means mid-backup.
  await waitFor('engine progress', async () => {
    const r = await stack.api.getRun(runId);
    if (r.status !== 'running' && r.status !== 'queued') throw new Error(`run ended early: ${r.status} ${r.failureReason}`);
    return r.progress && r.progress.bytesDone > 0 ? r.progress : null;
  }, 60_000, 100);
  await stack.kill9(component);
  await stack.start(component);

  const r = await stack.api.waitForRun(runId, { timeoutMs: 240_000 });
  expect(r).toMatchObject({ status: 'succeeded', failureReason: null });
  expect(await archivesTagged(repoPath, runTag(workflowId))).toEqual([r.snapshotId]);
  expect((await stack.api.listSnapshots(job.id)).map((s) => s.id)).toEqual([r.snapshotId]);
  // No lock left: borg's lock directories are gone once the last command released them.
  const { stdout } = await run('ls', [repoPath]);
  expect(stdout.split('\n')).not.toContain('lock.exclusive');
  await run('borg', ['check', repoPath], { env: borgEnv() });
  if (mode === 'pull') {
    await waitFor('export processes gone', async () => ((await pullProcesses()).length === 0 ? true : null), 30_000, 200);
    expect(await sshfsMounts()).toBe('');
  }
}

it('finishes a push backup with exactly one archive when the agent worker is killed mid-backup', async () => {
  await crashMidBackup('agent', 'borg-crash-agent', 'push');
});

it('finishes a pull backup with exactly one archive when the server worker is killed while borg reads the export', async () => {
  await crashMidBackup('server-worker', 'borg-pull-crash-server', 'pull');
});
