// Crash tests: kill -9 the agent worker, then the server worker, in the middle of a backup
// long enough to take several seconds; start it again; the run must finish with exactly
// one snapshot tagged with its workflow id, no lock left, and a clean `restic check`.
// The same in pull mode: the server worker killed while restic reads the agent's export (the
// retry mounts again), the agent killed while its export is read (the workflow exports
// again); no mount or export process may be left behind. And the same on borg (issue 14): the
// agent killed mid push backup, the server worker mid pull backup; exactly one archive
// carrying the run tag, no lock directory, a clean `borg check`.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Component, type Stack } from '../support/stack';
import { restic, snapshotsTagged, locks } from '../support/restic';
import { waitFor } from '../support/wait';
import { writeRandomFiles } from '../support/random-files';
import { runTag } from '../../contract/names';
import type { JobMode } from '../../contract/model';
import { pullProcesses, sshfsMounts } from '../support/pull-mode';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let dataset: string;
/** 48 MiB for borg, which compresses it slowly (see the wrapper below). */
let borgDataset: string;
let work: string;
const PASSWORD = 'crash-test-password';

/** 160 MiB that restic cannot deduplicate. */
function writeDataset(dir: string): void {
  writeRandomFiles(dir, 20, 8 * 1024 * 1024, { subdirs: 8 });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-crash-'));
  dataset = join(work, 'dataset');
  writeDataset(dataset);
  borgDataset = join(work, 'borg-dataset');
  writeRandomFiles(borgDataset, 6, 8 * 1024 * 1024, { subdirs: 3 });
  pg = await startPostgres();
  // restic uploads at 16 MiB/s here, so the dataset takes ~10 s on any machine: time to
  // see progress (heartbeats report it every few seconds) and kill a process mid-run.
  // `exec` keeps restic's own PID and command line (the run tag), as the agent expects.
  const slowRestic = join(work, 'restic-16mibs');
  writeFileSync(slowRestic, '#!/bin/sh\nexec restic --limit-upload 16384 "$@"\n', { mode: 0o755 });
  // borg has no upload limit for local repositories: compressing with zstd at level 22 makes
  // it CPU-bound, ~5 MB/s, so its 48 MiB dataset takes ~10 s on any machine.
  const slowBorg = join(work, 'borg-zstd22');
  writeFileSync(slowBorg, '#!/bin/sh\nif [ "$1" = create ]; then shift; exec borg create --compression zstd,22 "$@"; fi\nexec borg "$@"\n', { mode: 0o755 });
  // A dead agent is noticed after this long without a heartbeat.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '4000', BACKSTOP_RESTIC: slowRestic, BACKSTOP_BORG: slowBorg } });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

const exec = promisify(execFile);
const borgEnv = () => ({ ...process.env, BORG_PASSPHRASE: PASSWORD, BORG_BASE_DIR: join(work, 'borg-base'), TZ: 'UTC' });

/** The ids of the archives whose Backstop comment carries `tag`. */
async function borgArchivesTagged(repoPath: string, tag: string): Promise<string[]> {
  const { stdout } = await exec('borg', ['list', '--json', '--format', '{id}{comment}', repoPath], { env: borgEnv() });
  const archives = (JSON.parse(stdout) as { archives: Array<{ id: string; comment: string }> }).archives;
  return archives.filter((a) => a.comment.includes(JSON.stringify(tag))).map((a) => a.id);
}

/** Exactly one snapshot of the run in the repository, no lock left, and the engine's check passes. */
async function expectOneCleanSnapshot(engine: 'restic' | 'borg', repoPath: string, tag: string, snapshotId: string | null): Promise<void> {
  if (engine === 'restic') {
    expect((await snapshotsTagged(repoPath, PASSWORD, tag)).map((s) => s.id)).toEqual([snapshotId]);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
    await restic(repoPath, PASSWORD, ['check']);
    return;
  }
  expect(await borgArchivesTagged(repoPath, tag)).toEqual([snapshotId]);
  expect(existsSync(join(repoPath, 'lock.exclusive'))).toBe(false);
  await exec('borg', ['check', repoPath], { env: borgEnv() });
}

async function crashMidBackup(component: Component, name: string, mode: JobMode = 'push', engine: 'restic' | 'borg' = 'restic'): Promise<void> {
  const repoPath = join(work, `repo-${name}`);
  const repo = await stack.api.createRepository({ name, url: repoPath, password: PASSWORD, engine });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths: [engine === 'borg' ? borgDataset : dataset], mode });
  const { runId, workflowId } = await stack.api.runJob(job.id);

  // Wait until the engine is visibly working, then kill the process without warning.
  // restic reports bytes read, which races ahead of the capped upload (its percent may show
  // 100 % while most of the data is still to be sent), so any progress means mid-backup.
  await waitFor('engine progress', async () => {
    const r = await stack.api.getRun(runId);
    if (r.status !== 'running' && r.status !== 'queued') throw new Error(`run ended early: ${r.status} ${r.failureReason}`);
    return r.progress && r.progress.bytesDone > 0 ? r.progress : null;
  }, 60_000, 100);
  await stack.kill9(component);
  await stack.start(component);

  const run = await stack.api.waitForRun(runId, { timeoutMs: 240_000 });
  expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
  await expectOneCleanSnapshot(engine, repoPath, runTag(workflowId), run.snapshotId);
  expect((await stack.api.listSnapshots(job.id)).map((s) => s.id)).toEqual([run.snapshotId]);
  if (mode === 'pull') {
    // The run's cleanup closed the export; the namespaces went with their processes.
    await waitFor('export processes gone', async () => ((await pullProcesses()).length === 0 ? true : null), 30_000, 200);
    expect(await sshfsMounts()).toBe('');
  }
}

it('finishes with exactly one snapshot when the agent worker is killed mid-backup', async () => {
  await crashMidBackup('agent', 'crash-agent');
});

it('finishes with exactly one snapshot when the server worker is killed mid-backup', async () => {
  await crashMidBackup('server-worker', 'crash-server');
});

it('finishes a pull backup with exactly one snapshot when the server worker is killed while restic reads the export', async () => {
  await crashMidBackup('server-worker', 'pull-crash-server', 'pull');
});

it('finishes a pull backup with exactly one snapshot when the agent is killed while its export is read', async () => {
  await crashMidBackup('agent', 'pull-crash-agent', 'pull');
});

it('finishes a borg push backup with exactly one archive when the agent worker is killed mid-backup', async () => {
  await crashMidBackup('agent', 'borg-crash-agent', 'push', 'borg');
});

it('finishes a borg pull backup with exactly one archive when the server worker is killed while borg reads the export', async () => {
  await crashMidBackup('server-worker', 'borg-pull-crash-server', 'pull', 'borg');
});
