// BackupWorkflow on the time-skipping test server, with mocked activities: step order,
// cleanup on failure and cancellation, retries, warnings and an unreachable agent.
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { LOCAL_ACTIVITY_CACHE, timeSkippingSuite } from './support/time-skipping';
import { waitFor } from '../support/wait';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { backupWorkflow } from '../../workflows/backup';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import { runProgressQuery } from '../../workflows/run-visibility';
import { SearchAttributeKeys } from '../../contract/search-attributes';
import type { SnapshotHandle } from '../../contract/snapshot';
import type { AgentActivities, BackupStepResult, PostHookInput, ServerActivities, BackupPlan, FinishRunInput } from '../../contract/backup-activities';
import type { RunProgressState } from '../../contract/workflows';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));


const plan: BackupPlan = {
  jobId: 7,
  jobName: 'etc',
  agentName: 'web1',
  repository: { id: 3, name: 'main', url: '/srv/repo' },
  paths: ['/etc'],
  excludes: [],
  snapshotMode: 'none',
  mode: 'push',
  preScript: null,
  postHook: 'echo done',
};

const snapshot = { id: 'a'.repeat(64), time: '2026-11-22T10:00:00Z', hostname: 'web1', paths: ['/etc'], tags: [] };
const okBackup: BackupStepResult = { snapshot, stats: null, unreadable: [], adopted: false };
/** What createSnapshot returns in `none` mode. */
const noneHandle = (paths: string[]): SnapshotHandle => ({ mode: 'none', ref: 'none:r', readPaths: paths, warnings: [] });

interface Recorder {
  calls: string[];
  finish?: FinishRunInput;
  postHook?: PostHookInput;
}

type RunBackup = (rec: Recorder) => Promise<BackupStepResult>;

let nextRepositoryId = 3;

async function runScenario(opts: {
  runBackup: RunBackup;
  /** Replaces the default createSnapshot (which notes the call and returns a `none` handle). */
  createSnapshot?: () => Promise<SnapshotHandle>;
  planOverride?: Partial<BackupPlan>;
  startAgent?: boolean;
  agentScheduleToStartMs?: number;
  whileRunning?: (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>) => Promise<void>;
}): Promise<{ rec: Recorder; result: unknown; error?: unknown }> {
  const rec: Recorder = { calls: [] };
  const note = (name: string) => rec.calls.push(name);
  // A repository of its own per scenario: its lock workflow then lives on this scenario's
  // workers (the test server would keep handing a lock workflow's tasks to the sticky
  // queue of an earlier scenario's worker, which has shut down).
  const p = { ...plan, repository: { ...plan.repository, id: nextRepositoryId++ }, ...opts.planOverride };
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    // A short sticky timeout: a lock workflow left idle by an earlier scenario then wakes on
    // this scenario's worker within a second, instead of waiting out a dead worker's sticky
    // timeout on every timer while the test server skips hours. (No cache at all would do
    // that too, but not with local activities: see LOCAL_ACTIVITY_CACHE.)
    ...LOCAL_ACTIVITY_CACHE,
    activities: fakes<ServerActivities & LockActivities>({
      prepareBackup: async () => (note('prepareBackup'), p),
      runPreScript: async () => void note('runPreScript'),
      recordSnapshot: async () => void note('recordSnapshot'),
      finishRun: async (i: FinishRunInput) => {
        note('finishRun');
        rec.finish = i;
      },
      notify: async () => void note('notify'),
      // The engine step takes the shared repository lock: the real lock activities, so the
      // real lock workflow grants it.
      ...suite.lockActivities(),
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue(p.agentName),
    activities: fakes<AgentActivities>({
      createSnapshot: async () => (note('createSnapshot'), opts.createSnapshot ? opts.createSnapshot() : noneHandle(p.paths)),
      releaseSnapshot: async () => void note('releaseSnapshot'),
      runBackup: async () => (note('runBackup'), opts.runBackup(rec)),
      runPostHook: async (i: PostHookInput) => {
        note('runPostHook');
        rec.postHook = i;
        return { exitCode: 0, output: [] };
      },
    }),
  });
  const workflowId = `backup/7/${Math.random().toString(36).slice(2)}`;
  const run = async () => {
    const handle = await suite.env.client.workflow.start(backupWorkflow, {
      taskQueue: SERVER_TASK_QUEUE,
      workflowId,
      args: [{ runId: 'run-1', jobId: 7, agentScheduleToStartMs: opts.agentScheduleToStartMs ?? 60_000, engineHeartbeatTimeoutMs: 2_000 }],
    });
    if (opts.whileRunning) await opts.whileRunning(handle);
    return handle.result();
  };
  const workers = opts.startAgent === false ? [serverWorker] : [serverWorker, agentWorker];
  let result: unknown;
  let error: unknown;
  const runAll = async (ws: Worker[]): Promise<void> => {
    if (ws.length === 0) {
      result = await run().catch((e) => {
        error = e;
      });
      return;
    }
    await ws[0]!.runUntil(runAll(ws.slice(1)));
  };
  await runAll(workers);
  return { rec, result, error };
}

describe('BackupWorkflow', () => {
  it('answers the progress query with its current step, and ends with its outcome as a search attribute', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let seen: RunProgressState | undefined;
    let outcome: unknown;
    const { result } = await runScenario({
      planOverride: { preScript: 'true' },
      runBackup: async () => (await gate, okBackup),
      whileRunning: async (handle) => {
        seen = await waitFor('the engine step', async () => {
          const s = await handle.query(runProgressQuery);
          return s.step === 'engine' ? s : undefined;
        }, 60_000, 50);
        release();
        await handle.result();
        outcome = (await handle.describe()).typedSearchAttributes.get(SearchAttributeKeys.outcome);
      },
    });
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(seen!.done.filter((s) => s !== 'waiting-for-lock')).toEqual(['preparing', 'pre-script', 'snapshot']);
    expect(Date.parse(seen!.since)).not.toBeNaN();
    expect(outcome).toBe('succeeded');
  });

  it('runs every step in order and records success', async () => {
    const { rec, result } = await runScenario({ runBackup: async () => okBackup, planOverride: { preScript: 'true' } });
    expect(rec.calls).toEqual([
      'prepareBackup', 'runPreScript', 'createSnapshot', 'runBackup', 'releaseSnapshot', 'runPostHook', 'recordSnapshot', 'finishRun', 'notify',
    ]);
    expect(rec.finish).toMatchObject({ status: 'succeeded', snapshotId: snapshot.id, failureReason: null });
    expect(rec.postHook?.success).toBe(true);
    expect(result).toMatchObject({ status: 'succeeded', snapshotId: snapshot.id });
  });

  it('releases the snapshot and runs the post hook when the engine fails', async () => {
    const { rec, error } = await runScenario({
      runBackup: async () => {
        throw ApplicationFailure.create({ message: 'restic backup: wrong repository password', type: ErrorType.repositoryAuth, nonRetryable: true });
      },
    });
    expect(rec.calls.filter((c) => c === 'runBackup')).toHaveLength(1);
    expect(rec.calls.slice(-4)).toEqual(['releaseSnapshot', 'runPostHook', 'finishRun', 'notify']);
    expect(rec.calls).not.toContain('recordSnapshot');
    expect(rec.postHook?.success).toBe(false);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: 'restic backup: wrong repository password' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('retries a retryable engine failure and succeeds', async () => {
    let attempts = 0;
    const { rec } = await runScenario({
      runBackup: async () => {
        attempts++;
        if (attempts === 1) throw ApplicationFailure.create({ message: 'connection reset', type: ErrorType.engine });
        return okBackup;
      },
    });
    expect(attempts).toBe(2);
    expect(rec.finish?.status).toBe('succeeded');
  });

  it('retries a short step whose task was lost on the way to the agent, after its heartbeat timeout', async () => {
    // Temporal delivers an activity task at most once per attempt: a lost one shows as
    // started while nobody runs it. Here the first attempt is taken and then never answers
    // nor heartbeats, as if the agent had dropped it; the step's heartbeat timeout (2 s in
    // this scenario) must bring a second attempt instead of a 15-minute wait.
    let attempts = 0;
    const { rec } = await runScenario({
      runBackup: async () => okBackup,
      createSnapshot: async () => {
        attempts++;
        if (attempts === 1) {
          const { cancellationSignal } = Context.current();
          // Ends only when the worker shuts down at the end of the scenario.
          await new Promise((_, reject) => cancellationSignal.addEventListener('abort', () => reject(cancellationSignal.reason)));
        }
        return noneHandle(plan.paths);
      },
    });
    expect(attempts).toBe(2);
    expect(rec.finish?.status).toBe('succeeded');
    expect(rec.calls.filter((c) => c === 'createSnapshot')).toHaveLength(2);
  });

  it('records a partial backup as a warning with the unreadable paths', async () => {
    const { rec, result } = await runScenario({ runBackup: async () => ({ ...okBackup, unreadable: ['/etc/shadow'] }) });
    expect(rec.finish).toMatchObject({ status: 'warning', snapshotId: snapshot.id, warnings: ['unreadable: /etc/shadow'] });
    expect(rec.calls).toContain('recordSnapshot');
    expect(result).toMatchObject({ status: 'warning' });
  });

  it('cleans up and records cancellation when cancelled mid-backup', async () => {
    const { rec, error } = await runScenario({
      runBackup: async () => {
        const ctx = Context.current();
        // Heartbeat until the cancellation arrives, as the real engine step does.
        for (;;) {
          ctx.heartbeat();
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      whileRunning: async (handle) => {
        // Let the engine step start before cancelling.
        await waitFor('the engine step to start', async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'runBackup'), 60_000, 50);
        await handle.cancel();
      },
    });
    expect(rec.calls.slice(-4)).toEqual(['releaseSnapshot', 'runPostHook', 'finishRun', 'notify']);
    expect(rec.postHook?.success).toBe(false);
    expect(rec.finish).toMatchObject({ status: 'cancelled', failureReason: 'cancelled' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('fails with "agent unreachable" when no agent picks up the step', async () => {
    // The test server does not skip time for schedule-to-start timeouts: keep it short.
    const { rec } = await runScenario({ runBackup: async () => okBackup, startAgent: false, agentScheduleToStartMs: 1_500 });
    expect(rec.finish?.status).toBe('failed');
    expect(rec.finish?.failureReason).toMatch(/^agent unreachable: agent "web1" did not pick up createSnapshot/);
    expect(rec.calls).not.toContain('runBackup');
  });
});
