// Run control on the real stack: cancelling a run mid-engine, stall detection of the
// engine and of a hook, and idempotent run requests. restic is wrapped (BACKSTOP_RESTIC):
// capped upload speed so a backup lasts long enough to cancel, and a fake engine for
// paths named `stall-me` that prints one progress line and then hangs, alive and silent.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { locks, snapshotsTagged } from '../support/restic';
import { waitFor } from '../support/wait';
import { problemOf } from '../support/problem';
import { writeRandomFiles } from '../support/random-files';
import { LOCK_STATE_QUERY, SERVER_TASK_QUEUE, WorkflowKind, repositoryLockWorkflowId, runTag, workflowIdFor } from '../../contract/names';
import { Workflows } from '../../contract/workflows';
import { startWorkflow } from '../../core/start-workflow';
import { runMemo } from '../../api/start-run';
import type { LockState } from '../../contract/repository-lock';
import { writeSampleTree } from '../../workers/embedded/sample';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(400_000);

let pg: Postgres;
let stack: Stack;
let work: string;
const PASSWORD = 'run-control-password';
const STALL_TIMEOUT_MS = 6_000;

/**
 * restic capped at 4 MiB/s, or a fake `backup` that reports 10% once and then hangs (its
 * PID noted in `stalledPids`, one line per attempt).
 */
const wrapper = (stalledPids: string) => `#!/bin/sh
if [ "$1" = backup ]; then
  for a in "$@"; do
    case "$a" in
      *stall-me*)
        echo $$ >> '${stalledPids}'
        echo '{"message_type":"status","percent_done":0.1,"total_files":30,"files_done":3,"total_bytes":10485760,"bytes_done":1048576}'
        exec sleep 3600 ;;
    esac
  done
fi
exec restic --limit-upload 4096 "$@"
`;
const alive = (pid: number) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';

/** ~96 MiB that restic cannot deduplicate: some 25 s through the capped restic. */
function writeDataset(dir: string): void {
  writeRandomFiles(dir, 12, 8 * 1024 * 1024);
}

/** PIDs of live processes whose command line carries `marker` (the run tag of a restic). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-control-'));
  const wrapperPath = join(work, 'restic-wrapper');
  writeFileSync(wrapperPath, wrapper(join(work, 'stalled.pids')), { mode: 0o755 });
  pg = await startPostgres();
  stack = await startStack({
    databaseUrl: pg.url,
    env: {
      BACKSTOP_RESTIC: wrapperPath,
      BACKSTOP_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS),
      BACKSTOP_CANCEL_GRACE_MS: '3000',
      // Cancellation reaches an activity with its heartbeat, throttled to 80% of this.
      BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '5000',
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

async function newJob(name: string, paths: string[], extra: { postHook?: string; preScript?: string } = {}) {
  const repoPath = join(work, `repo-${name}`);
  const repo = await stack.api.createRepository({ name, url: repoPath, password: PASSWORD });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths, ...extra });
  return { repo, repoPath, job };
}

describe('cancel', () => {
  it('stops the engine mid-backup, cleans up, and records who cancelled; a second cancel is a no-op', async () => {
    const dataset = join(work, 'dataset-cancel');
    writeDataset(dataset);
    const hookEnv = join(work, 'post-hook-cancel.env');
    const { repo, repoPath, job } = await newJob('cancel', [dataset], { postHook: `env | grep ^BACKSTOP_ > ${hookEnv}` });
    const { runId, workflowId } = await stack.api.runJob(job.id);

    await waitFor('engine progress', async () => {
      const r = await stack.api.getRun(runId);
      if (r.status !== 'running' && r.status !== 'queued') throw new Error(`run ended early: ${r.status} ${r.failureReason}`);
      // restic reads the files fast and then uploads at the capped rate: still mid-engine.
      return r.progress && r.progress.bytesDone > 0 ? r.progress : null;
    }, 120_000, 200);
    expect(processesWith(runTag(workflowId)).length).toBeGreaterThan(0);

    const first = await stack.api.cancelRun(runId, 'wrong paths');
    expect(first).toMatchObject({ id: runId, cancelledBy: 'test admin' });
    expect(['queued', 'running']).toContain(first.status);
    // While it stops: the same answer, nothing new.
    const second = await stack.api.cancelRun(runId);
    expect(second).toMatchObject({ id: runId, cancelledBy: 'test admin' });

    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'cancelled', cancelledBy: 'test admin', failureReason: 'cancelled by test admin: wrong paths', snapshotId: null });
    // Once cancelled, still a no-op (200 with the run), not an error.
    expect(await stack.api.cancelRun(runId)).toMatchObject({ status: 'cancelled', cancelledBy: 'test admin' });

    // The engine is gone, it left no lock and wrote no snapshot.
    expect(processesWith(runTag(workflowId))).toEqual([]);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
    expect(await snapshotsTagged(repoPath, PASSWORD, runTag(workflowId))).toEqual([]);
    // The post hook ran, told the run did not succeed.
    expect(readFileSync(hookEnv, 'utf8')).toContain('BACKSTOP_RUN_SUCCESS=false');
    // The snapshot was released and the repository lock let go.
    const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
    const completed = new Set<string>();
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
      const c = e.activityTaskCompletedEventAttributes;
      if (c) completed.add(scheduled.get(String(c.scheduledEventId)) ?? '');
      // The catalog writes are local activities: a marker each, with its result.
      const m = e.markerRecordedEventAttributes;
      const data = m?.markerName === 'core_local_activity' ? m.details?.data?.payloads?.[0]?.data : undefined;
      if (data && m?.details?.result) completed.add((JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type);
    }
    expect([...completed]).toEqual(expect.arrayContaining(['releaseSnapshot', 'runPostHook', 'finishRun']));
    const lock = await stack.temporal.workflow.getHandle(repositoryLockWorkflowId(repo.id)).query<LockState>(LOCK_STATE_QUERY);
    expect(lock.holders.filter((h) => h.holderId === workflowId)).toEqual([]);
  });

  it('answers 409 for a run that finished otherwise, and 404 for an unknown run', async () => {
    const source = join(work, 'small-409');
    writeSampleTree(source, 5);
    const { job } = await newJob('finished', [source]);
    const { runId } = await stack.api.runJob(job.id);
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    const conflict = await problemOf(stack.api.cancelRun(runId));
    expect(conflict.status).toBe(409);
    expect((await stack.api.getRun(runId)).cancelledBy).toBeNull();
    expect((await problemOf(stack.api.cancelRun(randomUUID()))).status).toBe(404);
  });
});

describe('cancel other kinds', () => {
  it('cancels a restore waiting for approval and a prune waiting for the repository lock', async () => {
    const source = join(work, 'small-kinds');
    writeSampleTree(source, 5);
    const { job } = await newJob('kinds', [source]);
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(backup.status).toBe('succeeded');

    const restore = await stack.api.restoreSnapshot(backup.snapshotId!, { requireApproval: true });
    await waitFor('restore awaiting approval', async () => (await stack.api.getRun(restore.runId)).status === 'awaiting-approval' || null, 120_000, 300);
    expect(await stack.api.cancelRun(restore.runId)).toMatchObject({ status: 'awaiting-approval', cancelledBy: 'test admin' });
    expect(await stack.api.waitForRun(restore.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'cancelled', failureReason: 'cancelled by test admin' });

    // A prune queues behind a running backup (shared lock) of a bigger dataset.
    const dataset = join(work, 'dataset-kinds');
    writeDataset(dataset);
    const { repo, repoPath, job: big } = await newJob('kinds-big', [dataset]);
    const running = await stack.api.runJob(big.id);
    await waitFor('engine progress', async () => ((await stack.api.getRun(running.runId)).progress ? true : null), 120_000, 200);
    const prune = await stack.api.request<{ runId: string }>('POST', `/v1/repositories/${repo.id}/prune`, undefined, { 'idempotency-key': `prune-${repo.id}` });
    // The key works on this route too: the same run again, no second prune.
    expect(await stack.api.request('POST', `/v1/repositories/${repo.id}/prune`, undefined, { 'idempotency-key': `prune-${repo.id}` })).toEqual(prune);
    await waitFor('prune running', async () => ((await stack.api.getRun(prune.runId)).status === 'running' ? true : null), 60_000, 200);
    await stack.api.cancelRun(prune.runId);
    expect(await stack.api.waitForRun(prune.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'cancelled', cancelledBy: 'test admin', failureReason: 'cancelled by test admin' });
    expect((await stack.api.listRuns()).filter((r) => r.kind === 'prune' && r.repositoryId === repo.id)).toHaveLength(1);

    // The backup only held the lock for the prune to wait on: it goes on, unharmed by the
    // cancelled prune, and leaves nothing locked.
    expect((await stack.api.waitForRun(running.runId, { timeoutMs: 120_000 })).status).toBe('succeeded');
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
  });
});

describe('stall detection', () => {
  it('stops an engine that is alive but does not move, kills it, and retries the step', async () => {
    // The real stall watch on the real stack, up to the first retry. How a run ends once the
    // retries run out (five attempts, with the engine's backoff) is the workflow tests' part
    // (test/workflow/run-control.test.ts): waiting out that backoff here would add 90 s.
    const dir = join(work, 'stall-me');
    writeSampleTree(dir, 3);
    const { job } = await newJob('stall', [dir]);
    const { runId, workflowId } = await stack.api.runJob(job.id);
    const handle = stack.temporal.workflow.getHandle(workflowId);
    const engine = await waitFor('the engine step retried after a stall', async () => {
      const step = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'runBackup');
      return step && (step.attempt ?? 0) >= 2 ? step : null;
    }, 120_000, 200);
    expect(engine.lastFailure?.message).toBe('restic backup stalled: no progress for 6s after 3 files / 1.0 MiB (10%)');
    // The first attempt's stalled process was killed.
    const [firstPid] = readFileSync(join(work, 'stalled.pids'), 'utf8').trim().split('\n').map(Number);
    await waitFor('the stalled process to be gone', async () => !alive(firstPid!), 30_000, 100);
    expect((await stack.api.getRun(runId)).status).toBe('running');
    await stack.api.cancelRun(runId, 'enough');
    expect((await stack.api.waitForRun(runId, { timeoutMs: 120_000 })).status).toBe('cancelled');
    const pids = readFileSync(join(work, 'stalled.pids'), 'utf8').trim().split('\n').map(Number);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stops a script that hangs silently', async () => {
    const source = join(work, 'small-hook');
    writeSampleTree(source, 3);
    const { job } = await newJob('stall-hook', [source], { preScript: 'echo preparing; sleep 600' });
    const { runId } = await stack.api.runJob(job.id);
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'failed', failureReason: 'pre script stalled: no output for 6s after "preparing"' });
  });
});

describe('Idempotency-Key', () => {
  it('starts one run for two concurrent requests with the same key', async () => {
    const source = join(work, 'small-idem');
    writeSampleTree(source, 3);
    const { job } = await newJob('idem', [source]);
    const key = randomUUID();
    const [a, b] = await Promise.all([stack.api.runJob(job.id, { idempotencyKey: key }), stack.api.runJob(job.id, { idempotencyKey: key })]);
    expect(b).toEqual(a);
    // A retry later answers the same run.
    expect(await stack.api.runJob(job.id, { idempotencyKey: key })).toEqual(a);
    expect((await stack.api.listRuns(job.id)).map((r) => r.id)).toEqual([a.runId]);

    // The same key for another job is a conflict; a new key starts a new run.
    const { job: other } = await newJob('idem-other', [source]);
    expect((await problemOf(stack.api.runJob(other.id, { idempotencyKey: key }))).status).toBe(409);
    expect(await stack.api.listRuns(other.id)).toEqual([]);
    const fresh = await stack.api.runJob(job.id, { idempotencyKey: randomUUID() });
    expect(fresh.runId).not.toBe(a.runId);
    await stack.api.waitForRun(a.runId, { timeoutMs: 120_000 });
    await stack.api.waitForRun(fresh.runId, { timeoutMs: 120_000 });
  });

  /**
   * What a request left behind when its API was killed after reserving the key: the key names
   * run `runId` under `workflowId`; `started` says whether its workflow had started too (on
   * `taskQueue`: one no worker polls holds it before it records its run).
   */
  async function abandonedRequest(jobId: number, key: string, opts: { started: boolean; taskQueue?: string; memoRunId?: string }) {
    const runId = randomUUID();
    const workflowId = workflowIdFor(WorkflowKind.backup, jobId, new Date());
    await stack.catalog.runs.reserveIdempotencyKey({ key, scope: `runJob:${jobId}`, runId, workflowId, ttlHours: 24 });
    if (opts.started) {
      await startWorkflow(stack.temporal, Workflows.backup, { runId, jobId }, { taskQueue: opts.taskQueue ?? SERVER_TASK_QUEUE, workflowId, memo: runMemo(opts.memoRunId ?? runId) });
    }
    return { runId, workflowId };
  }

  /** The executions visibility lists under `workflowId`, once it lists any (it trails the start a little). */
  const executionsOf = (workflowId: string) =>
    waitFor(`${workflowId} in visibility`, async () => {
      const ids: string[] = [];
      for await (const w of stack.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) ids.push(w.runId);
      return ids.length > 0 && ids;
    });

  it.each([
    ['after its workflow started', 'died-after', true],
    ['before starting anything', 'died-before', false],
  ])('finishes the start of a run whose API died %s, under the ids its key names: one run, one workflow', async (_, name, started) => {
    const source = join(work, `small-${name}`);
    writeSampleTree(source, 3);
    const { job } = await newJob(`idem-${name}`, [source]);
    const key = randomUUID();
    const left = await abandonedRequest(job.id, key, { started });
    // The resend (to any API) answers with the run the dead request reserved, and started or not.
    expect(await stack.api.runJob(job.id, { idempotencyKey: key })).toMatchObject({ runId: left.runId, workflowId: left.workflowId });
    expect((await stack.api.waitForRun(left.runId, { timeoutMs: 120_000 })).status).toBe('succeeded');
    expect((await stack.api.listRuns(job.id)).map((r) => r.id)).toEqual([left.runId]);
    expect(await executionsOf(left.workflowId)).toHaveLength(1);
  });

  it('adopts a workflow that has not yet recorded its run, and records a run whose workflow ended first as failed', async () => {
    const { job } = await newJob('idem-adopt', [join(work, 'never-read')]);
    // Running, held before its first step: the resend records the run as the dead request would have.
    const heldKey = randomUUID();
    const held = await abandonedRequest(job.id, heldKey, { started: true, taskQueue: 'nobody-polls-this' });
    expect(await stack.api.runJob(job.id, { idempotencyKey: heldKey })).toMatchObject({ runId: held.runId, workflowId: held.workflowId });
    expect((await stack.api.getRun(held.runId)).status).toBe('queued');
    expect(await executionsOf(held.workflowId)).toHaveLength(1);
    await stack.temporal.workflow.getHandle(held.workflowId).terminate('test over');

    // Ended before recording anything: the run is recorded as failed, with why, and not started again.
    const endedKey = randomUUID();
    await waitFor('the next second', async () => workflowIdFor(WorkflowKind.backup, job.id, new Date()) !== held.workflowId, 5_000, 50);
    const ended = await abandonedRequest(job.id, endedKey, { started: true, taskQueue: 'nobody-polls-this' });
    await stack.temporal.workflow.getHandle(ended.workflowId).terminate('died with its API');
    expect(await stack.api.runJob(job.id, { idempotencyKey: endedKey })).toMatchObject({ runId: ended.runId, workflowId: ended.workflowId });
    const run = await stack.api.getRun(ended.runId);
    expect(run).toMatchObject({ status: 'failed', failureReason: "the run's workflow ended (terminated) before it recorded the run" });
    expect(await executionsOf(ended.workflowId)).toHaveLength(1);
  });

  it("never adopts another run's workflow under the reserved id: the run starts under the next second's", async () => {
    const source = join(work, 'small-collision');
    writeSampleTree(source, 3);
    const { job } = await newJob('idem-collision', [source]);
    const key = randomUUID();
    const left = await abandonedRequest(job.id, key, { started: true, taskQueue: 'nobody-polls-this', memoRunId: randomUUID() });
    const answer = await stack.api.runJob(job.id, { idempotencyKey: key });
    expect(answer.runId).toBe(left.runId);
    expect(answer.workflowId).not.toBe(left.workflowId);
    expect((await stack.api.waitForRun(left.runId, { timeoutMs: 120_000 })).status).toBe('succeeded');
    // A later resend answers with where the run really is.
    expect(await stack.api.runJob(job.id, { idempotencyKey: key })).toEqual(answer);
    await stack.temporal.workflow.getHandle(left.workflowId).terminate('test over');
  });

  it('refuses a malformed key', async () => {
    const bad = await problemOf(stack.api.request('POST', '/v1/jobs/1/run', undefined, { 'idempotency-key': 'has spaces in it' }));
    expect(bad.status).toBe(400);
  });
});
