// Retention and prune on the real stack: restic, PostgreSQL, the Temporal dev server and
// the API / server worker / agent processes.
//  1. A timeline of real snapshots at chosen past times (restic backup --time): preview,
//     prune, and exactly the survivors in TIMELINE remain, in restic and in the catalog.
//  2. A prune started while a backup runs waits for it (exclusive repository lock), then
//     succeeds, and so does the backup.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolPath } from '../support/tools';
import { recordHistory } from '../support/history';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { locks, restic } from '../support/restic';
import { waitFor } from '../support/wait';
import { writeRandomFiles } from '../support/random-files';
import { JOB_TAG_PREFIX, repositoryLockWorkflowId } from '../../contract/names';
import { lockStateQuery } from '../../workflows/repository-lock';
import type { ApiRun } from '../../core/api-client';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  // restic reads --time, and buckets days and weeks, in local time: make it UTC for the
  // test's restic calls and for every process of the stack.
  process.env.TZ = 'UTC';
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url });
  work = mkdtempSync(join(tmpdir(), 'backstop-prune-'));
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

interface ResticSnapshot {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  tags?: string[];
}

const snapshots = async (repo: string): Promise<ResticSnapshot[]> => JSON.parse(await restic(repo, PASSWORD, ['snapshots', '--json'])) as ResticSnapshot[];

async function catalogRows(repositoryId: number): Promise<Array<{ id: string; job_id: string | null; run_id: string | null }>> {
  const { rows } = await stack.catalog.db.query('SELECT id, job_id, run_id FROM snapshots WHERE repository_id = $1 ORDER BY id', [repositoryId]);
  return rows as Array<{ id: string; job_id: string | null; run_id: string | null }>;
}

/**
 * Policy: keepDaily 3, keepWeekly 2, keepMonthly 2, keepYearly 2, keepTags ['keep'],
 * applied per host and paths. Weeks are ISO weeks (Monday first).
 */
const POLICY = { keepDaily: 3, keepWeekly: 2, keepMonthly: 2, keepYearly: 2, keepTags: ['keep'] };
// name, time (UTC), host, extra tag, expected outcome and the rules that keep it
const TIMELINE: Array<[string, string, string, string | null, 'keep' | 'remove', string[]]> = [
  ['A', '2024-06-15 10:00:00', 'local', null, 'remove', []],
  ['B', '2024-11-20 09:00:00', 'local', 'keep', 'keep', ['has tags [keep]']],
  ['C', '2024-12-30 10:00:00', 'local', null, 'keep', ['yearly snapshot']], // newest of 2024
  ['D', '2025-01-20 10:00:00', 'local', null, 'keep', ['monthly snapshot']], // newest of January
  ['E', '2025-02-10 08:00:00', 'local', null, 'remove', []],
  ['F', '2025-02-10 20:00:00', 'local', null, 'remove', []],
  ['G', '2025-02-14 10:00:00', 'local', null, 'keep', ['weekly snapshot']], // newest of week 7
  ['H', '2025-02-20 10:00:00', 'local', null, 'keep', ['daily snapshot']],
  ['I', '2025-02-21 10:00:00', 'local', null, 'keep', ['daily snapshot']],
  ['J', '2025-02-22 07:00:00', 'local', null, 'remove', []], // same day as K, older
  ['K', '2025-02-22 19:00:00', 'local', null, 'keep', ['daily snapshot', 'weekly snapshot', 'monthly snapshot', 'yearly snapshot']],
  // Another host is another group, with its own daily snapshots.
  // Too few weeks, months and years in this group: restic also keeps its oldest snapshot.
  ['O1', '2025-01-01 10:00:00', 'other', null, 'keep', ['daily snapshot', 'oldest weekly snapshot', 'oldest monthly snapshot', 'oldest yearly snapshot']],
  ['O2', '2025-01-02 10:00:00', 'other', null, 'keep', ['daily snapshot', 'weekly snapshot', 'monthly snapshot', 'yearly snapshot']],
];

describe('retention and prune on a timeline of snapshots', () => {
  it('previews, then prunes to exactly the expected survivors, in restic and in the catalog', async () => {
    const source = join(work, 'timeline-src');
    mkdirSync(source);
    writeFileSync(join(source, 'file.txt'), 'version 1\n');
    const repoPath = join(work, 'repo-timeline');
    const repo = await stack.api.createRepository({ name: 'timeline', url: repoPath, password: PASSWORD, postPruneScript: `echo "$BACKSTOP_RUN_SUCCESS" > ${join(work, 'post-prune.out')}` });
    const job = await stack.api.createJob({ name: 'timeline', agent: 'local', repositoryId: repo.id, paths: [source] });
    // A job without a policy in the same repository: its snapshots are never touched.
    const other = await stack.api.createJob({ name: 'untouched', agent: 'local', repositoryId: repo.id, paths: [source] });

    const idOf = new Map<string, string>();
    for (const [name, time, host, tag] of TIMELINE) {
      writeFileSync(join(source, 'file.txt'), `state ${name}\n`);
      const tags = ['--tag', `${JOB_TAG_PREFIX}${job.id}`, ...(tag ? ['--tag', tag] : [])];
      await restic(repoPath, PASSWORD, ['backup', '-q', '--time', time, '--host', host, ...tags, source]);
      const known = new Set(idOf.values());
      idOf.set(name, (await snapshots(repoPath)).find((s) => !known.has(s.id))!.id);
    }
    await restic(repoPath, PASSWORD, ['backup', '-q', '--time', '2023-01-01 00:00:00', '--host', 'local', '--tag', `${JOB_TAG_PREFIX}${other.id}`, source]);
    const untouched = (await snapshots(repoPath)).find((s) => s.tags?.includes(`${JOB_TAG_PREFIX}${other.id}`))!.id;

    // A policy that keeps nothing is refused at the edge.
    await expect(stack.api.setJobRetention(job.id, { keepLast: 0 })).rejects.toMatchObject({ status: 400 });
    const updated = await stack.api.setJobRetention(job.id, POLICY);
    expect(updated.retention).toEqual(POLICY);

    const expectedKeep = TIMELINE.filter((t) => t[4] === 'keep').map((t) => t[0]).sort();
    const expectedRemove = TIMELINE.filter((t) => t[4] === 'remove').map((t) => t[0]).sort();
    const nameOf = (id: string) => [...idOf].find(([, v]) => v === id)?.[0] ?? id;

    const preview = await stack.api.previewRetention(job.id);
    expect(preview.keep.map((k) => nameOf(k.snapshotId)).sort()).toEqual(expectedKeep);
    expect(preview.remove.map((r) => nameOf(r.snapshotId)).sort()).toEqual(expectedRemove);
    for (const [name, , , , outcome, reasons] of TIMELINE) {
      if (outcome === 'keep') expect([name, preview.keep.find((k) => k.snapshotId === idOf.get(name))?.reasons]).toEqual([name, reasons]);
    }
    // The preview changed nothing.
    expect((await snapshots(repoPath)).length).toBe(TIMELINE.length + 1);

    const accepted = await stack.api.pruneRepository(repo.id);
    expect(accepted.workflowId).toMatch(new RegExp(`^prune/repository-${repo.id}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    const run = await stack.api.waitForRun(accepted.runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ kind: 'prune', status: 'succeeded', jobId: null, repositoryId: repo.id, failureReason: null });
    expect(run.details).toMatchObject({ jobs: [{ jobId: job.id, kept: expectedKeep.length, removed: expectedRemove.length }], postPruneScript: { exitCode: 0 } });

    const survivors = await snapshots(repoPath);
    expect(survivors.map((s) => nameOf(s.id)).sort()).toEqual([...expectedKeep, untouched].sort());
    await restic(repoPath, PASSWORD, ['check']);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
    expect(readFileSync(join(work, 'post-prune.out'), 'utf8')).toBe('true\n');

    // The catalog now lists exactly what restic has, each with its job.
    const rows = await catalogRows(repo.id);
    expect(rows.map((r) => r.id)).toEqual(survivors.map((s) => s.id).sort());
    expect(rows.find((r) => r.id === untouched)?.job_id).toBe(String(other.id));
    expect(rows.filter((r) => r.id !== untouched).every((r) => r.job_id === String(job.id))).toBe(true);

    // The server worker opened the repository itself: its password is not in the history.
    const history = (
      await promisify(execFile)(toolPath('temporal'), ['workflow', 'show', '--workflow-id', accepted.workflowId, '--output', 'json', '--address', stack.temporalAddress], {
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
    recordHistory('prune-succeeded', history);
    expect(history).toContain('forgetJobSnapshots');
    expect(history).not.toContain(PASSWORD);
    expect(history).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });
});

describe('prune during a running backup', () => {
  it('waits for the backup to release the repository, then succeeds; the backup succeeds too', async () => {
    const source = join(work, 'big-src');
    // Incompressible data, so restic takes a while over it.
    writeRandomFiles(source, 4, 50 * 1024 * 1024, { prefix: 'blob-' });
    const repoPath = join(work, 'repo-busy');
    const repo = await stack.api.createRepository({ name: 'busy', url: repoPath, password: PASSWORD });
    const job = await stack.api.createJob({ name: 'busy', agent: 'local', repositoryId: repo.id, paths: [source], retention: { keepLast: 3 } });

    const backup = await stack.api.runJob(job.id);
    const lock = stack.temporal.workflow.getHandle(repositoryLockWorkflowId(repo.id));
    await waitFor('backup to hold the repository lock', async () => (await lock.query(lockStateQuery)).holders.some((h) => h.holderId === backup.workflowId), 120_000, 100);

    const prune = await stack.api.pruneRepository(repo.id);
    // Seen together in one answer of the lock: the backup holds it, the prune waits in line.
    let runWhileWaiting: ApiRun | undefined;
    await waitFor(
      'prune to queue behind the backup',
      async () => {
        const run = await stack.api.getRun(prune.runId);
        const state = await lock.query(lockStateQuery);
        const waiting = state.holders.some((h) => h.holderId === backup.workflowId) && state.waiting.some((w) => w.holderId === prune.workflowId);
        if (waiting) runWhileWaiting = run;
        return waiting;
      },
      60_000,
      100,
    );
    expect(runWhileWaiting?.status).toBe('running');
    expect((await stack.api.getRun(backup.runId)).status).toBe('running');

    const backupRun = await stack.api.waitForRun(backup.runId, { timeoutMs: 180_000 });
    const pruneRun = await stack.api.waitForRun(prune.runId, { timeoutMs: 120_000 });
    expect(backupRun.status).toBe('succeeded');
    expect(pruneRun).toMatchObject({ status: 'succeeded', failureReason: null });
    expect(pruneRun.details).toMatchObject({ jobs: [{ jobId: job.id, kept: 1, removed: 0 }], catalog: { snapshots: 1 } });

    await restic(repoPath, PASSWORD, ['check']);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
    // The backup's catalog row survived the sync, still linked to its run.
    expect(await catalogRows(repo.id)).toEqual([{ id: backupRun.snapshotId, job_id: String(job.id), run_id: backup.runId }]);
  });
});
