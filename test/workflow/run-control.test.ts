// Run control in the workflows, on the time-skipping test server with mocked activities:
// a run cancelled while its prepare step is in flight is still cleaned up and recorded as
// cancelled (not left queued), and a stalled engine attempt is retried like any retryable
// failure, its reason kept when the retries run out.
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { LOCAL_ACTIVITY_CACHE, timeSkippingSuite } from './support/time-skipping';
import { backupWorkflow } from '../../workflows/backup';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { AgentActivities, BackupStepResult, PostHookInput, ServerActivities, BackupPlan, FinishRunInput } from '../../contract/backup-activities';

jest.setTimeout(180_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

let nextRepositoryId = 100;
const snapshot = { id: 'b'.repeat(64), time: '2026-11-24T10:00:00Z', hostname: 'web2', paths: ['/srv'], tags: [] };

async function scenario(opts: {
  prepareDelay?: Promise<void>;
  /** Called when the prepare step starts. */
  onPrepare?: () => void;
  runBackup: (attempt: number) => Promise<BackupStepResult>;
  whileRunning?: (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>) => Promise<void>;
}) {
  const calls: string[] = [];
  let finish: FinishRunInput | undefined;
  let postHook: PostHookInput | undefined;
  let attempts = 0;
  const plan: BackupPlan = {
    jobId: 9,
    jobName: 'srv',
    agentName: 'web2',
    repository: { id: nextRepositoryId++, name: 'r', url: '/srv/repo' },
    paths: ['/srv'],
    excludes: [],
    snapshotMode: 'none',
    mode: 'push',
    preScript: null,
    postHook: 'true',
  };
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    ...LOCAL_ACTIVITY_CACHE,
    activities: fakes<ServerActivities & LockActivities>({
      prepareBackup: async () => {
        calls.push('prepareBackup');
        opts.onPrepare?.();
        await opts.prepareDelay;
        return plan;
      },
      recordSnapshot: async () => void calls.push('recordSnapshot'),
      finishRun: async (i: FinishRunInput) => {
        calls.push('finishRun');
        finish = i;
      },
      notify: async () => void calls.push('notify'),
      ...suite.lockActivities(),
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue(plan.agentName),
    activities: fakes<AgentActivities>({
      createSnapshot: async () => (calls.push('createSnapshot'), { mode: 'none', ref: 'none:r', readPaths: plan.paths, warnings: [] }),
      releaseSnapshot: async () => void calls.push('releaseSnapshot'),
      runBackup: async () => (calls.push('runBackup'), opts.runBackup(++attempts)),
      runPostHook: async (i: PostHookInput) => {
        calls.push('runPostHook');
        postHook = i;
        return { exitCode: 0, output: [] };
      },
    }),
  });
  let error: unknown;
  await serverWorker.runUntil(
    agentWorker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(backupWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: `backup/9/${Math.random().toString(36).slice(2)}`,
        args: [{ runId: 'run-rc', jobId: 9, agentScheduleToStartMs: 60_000, engineHeartbeatTimeoutMs: 60_000 }],
      });
      if (opts.whileRunning) await opts.whileRunning(handle);
      await handle.result().catch((e: unknown) => {
        error = e;
      });
    }),
  );
  return { calls, finish, postHook, attempts, error };
}

describe('run control in BackupWorkflow', () => {
  it('records a run cancelled during its prepare step as cancelled, hooks told it failed', async () => {
    let release!: () => void;
    const prepareDelay = new Promise<void>((r) => (release = r));
    // Prepare is a local activity: it never shows among the run's pending activities, so
    // the fake says when it has started.
    let prepareStarted!: () => void;
    const preparing = new Promise<void>((r) => (prepareStarted = r));
    const { calls, finish, postHook, error } = await scenario({
      prepareDelay,
      onPrepare: () => prepareStarted(),
      runBackup: async () => ({ snapshot, stats: null, unreadable: [], adopted: false }),
      whileRunning: async (handle) => {
        // Cancel while prepare is running; then let prepare finish.
        await preparing;
        await handle.cancel();
        release();
      },
    });
    expect(calls).not.toContain('runBackup');
    expect(calls.slice(-3)).toEqual(['runPostHook', 'finishRun', 'notify']);
    expect(postHook?.success).toBe(false);
    expect(finish).toMatchObject({ status: 'cancelled', failureReason: 'cancelled' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('retries a stalled engine attempt and succeeds when the next one moves', async () => {
    const { finish, attempts } = await scenario({
      runBackup: async (attempt) => {
        if (attempt === 1) throw ApplicationFailure.create({ message: 'restic backup stalled: no progress for 10m0s after 3 files / 1.0 MiB (10%)', type: ErrorType.stalled });
        return { snapshot, stats: null, unreadable: [], adopted: false };
      },
    });
    expect(attempts).toBe(2);
    expect(finish?.status).toBe('succeeded');
  });

  it('fails the run with the stall reason once the retries run out', async () => {
    const reason = 'restic backup stalled: no progress for 10m0s after 3 files / 1.0 MiB (10%)';
    const { finish, attempts } = await scenario({
      runBackup: async () => {
        throw ApplicationFailure.create({ message: reason, type: ErrorType.stalled });
      },
    });
    expect(attempts).toBe(5);
    expect(finish).toMatchObject({ status: 'failed', failureReason: reason });
  });
});
