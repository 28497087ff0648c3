// S3SyncWorkflow on the time-skipping test server, with mocked activities: step order,
// a failed verification fails the run, a repository on S3 is refused, a retried sync step,
// and cancellation mid-sync still records the run.
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { timeSkippingSuite } from './support/time-skipping';
import { waitFor } from '../support/wait';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { s3SyncWorkflow, VERIFICATION_FAILED } from '../../workflows/s3-sync';
import { SERVER_TASK_QUEUE } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { S3SyncActivities, FinishS3SyncInput, S3SyncOutcome, S3SyncPlan, S3SyncVerification } from '../../contract/sync-activities';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

const plan: S3SyncPlan = {
  repositoryId: 4,
  repositoryName: 'main',
  target: { endpoint: 'http://127.0.0.1:8333', bucket: 'offsite', prefix: 'main' },
  heartbeatTimeoutMs: 2_000,
};
const outcome: S3SyncOutcome = { objectsTransferred: 12, bytesTransferred: 4096, objectsChecked: 3, objectsDeleted: 0, elapsedSeconds: 1.5, attempt: 1 };
const verified: S3SyncVerification = {
  ok: true,
  localObjects: 15,
  localBytes: 5000,
  remoteObjects: 15,
  missing: [],
  sizeMismatch: [],
  extra: [],
  missingCount: 0,
  sizeMismatchCount: 0,
  extraCount: 0,
  summary: 'verification passed',
};

let nextRepositoryId = 4;

interface Recorder {
  calls: string[];
  finish?: FinishS3SyncInput;
  syncInput?: { runId: string; workflowId: string; repositoryId: number };
}

async function runScenario(opts: {
  prepare?: () => Promise<S3SyncPlan>;
  runS3Sync?: () => Promise<S3SyncOutcome>;
  verify?: () => Promise<S3SyncVerification>;
  whileRunning?: (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>) => Promise<void>;
}): Promise<{ rec: Recorder; result?: unknown; error?: unknown; workflowId: string }> {
  const rec: Recorder = { calls: [] };
  const note = (name: string) => rec.calls.push(name);
  // A repository of its own per scenario, so its lock workflow lives on this scenario's
  // worker (the first scenario gets 4, the id its assertions name).
  const repositoryId = nextRepositoryId++;
  const worker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    // No sticky queues: a lock workflow left idle by an earlier scenario then wakes on this
    // scenario's worker at once, instead of waiting out a dead worker's sticky timeout on
    // every timer while the test server skips hours.
    maxCachedWorkflows: 0,
    activities: fakes<S3SyncActivities & LockActivities>({
      // The sync holds the shared repository lock: the real lock activities and workflow.
      ...suite.lockActivities(),
      prepareS3Sync: async () => (note('prepareS3Sync'), (opts.prepare ?? (async () => plan))()),
      runS3Sync: async (i: Recorder['syncInput']) => {
        note('runS3Sync');
        rec.syncInput = i;
        return (opts.runS3Sync ?? (async () => outcome))();
      },
      verifyS3Sync: async () => (note('verifyS3Sync'), (opts.verify ?? (async () => verified))()),
      finishS3Sync: async (i: FinishS3SyncInput) => {
        note('finishS3Sync');
        rec.finish = i;
      },
    }),
  });
  const workflowId = `s3-sync/repository-${repositoryId}/${Math.random().toString(36).slice(2)}`;
  let result: unknown;
  let error: unknown;
  await worker.runUntil(async () => {
    const handle = await suite.env.client.workflow.start(s3SyncWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId, args: [{ runId: 'run-s3', repositoryId }] });
    if (opts.whileRunning) await opts.whileRunning(handle);
    result = await handle.result().catch((e: unknown) => {
      error = e;
    });
  });
  return { rec, result, error, workflowId };
}

describe('S3SyncWorkflow', () => {
  it('syncs, verifies and records the result, passing ids only', async () => {
    const { rec, result, workflowId } = await runScenario({});
    expect(rec.calls).toEqual(['prepareS3Sync', 'runS3Sync', 'verifyS3Sync', 'finishS3Sync']);
    expect(rec.syncInput).toEqual({ runId: 'run-s3', workflowId, repositoryId: 4 });
    expect(rec.finish).toEqual({
      runId: 'run-s3',
      status: 'succeeded',
      failureReason: null,
      warnings: [],
      details: { target: plan.target, sync: outcome, verification: verified },
    });
    expect(result).toMatchObject({ status: 'succeeded', sync: outcome });
  });

  it('fails the run when the bucket does not match the repository', async () => {
    const bad: S3SyncVerification = {
      ...verified,
      ok: false,
      missing: ['data/ab/abcd'],
      missingCount: 1,
      summary: 'verification failed: 1 missing from the bucket (data/ab/abcd)',
    };
    const { rec, error } = await runScenario({ verify: async () => bad });
    expect(rec.calls).toEqual(['prepareS3Sync', 'runS3Sync', 'verifyS3Sync', 'finishS3Sync']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: bad.summary, details: { verification: bad } });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe(VERIFICATION_FAILED);
  });

  it('refuses a repository on S3 at once and records why', async () => {
    const message = 'repository cloud is on S3 already; only repositories on a local path can be synced to S3';
    const { rec, error } = await runScenario({
      prepare: async () => {
        throw ApplicationFailure.create({ message, type: ErrorType.input, nonRetryable: true });
      },
    });
    expect(rec.calls).toEqual(['prepareS3Sync', 'finishS3Sync']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: message, details: { target: null, sync: null } });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('retries a failed sync step, which resumes where the bucket is', async () => {
    let attempts = 0;
    const { rec } = await runScenario({
      runS3Sync: async () => {
        attempts++;
        if (attempts === 1) throw ApplicationFailure.create({ message: 'rclone sync: rclone exited with code 5', type: ErrorType.engine });
        return { ...outcome, objectsTransferred: 2, objectsChecked: 13, attempt: 2 };
      },
    });
    expect(attempts).toBe(2);
    expect(rec.finish).toMatchObject({ status: 'succeeded', details: { sync: { attempt: 2, objectsChecked: 13 } } });
  });

  it('records a cancelled run after the sync step confirms its cancellation', async () => {
    let stoppedRclone = false;
    const { rec, error } = await runScenario({
      runS3Sync: async () => {
        const ctx = Context.current();
        // Heartbeat until the cancellation arrives, as the real step does while rclone runs.
        for (;;) {
          ctx.heartbeat({ phase: 'syncing', stats: null });
          if (ctx.cancellationSignal.aborted) {
            stoppedRclone = true;
            throw ctx.cancellationSignal.reason;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      whileRunning: async (handle) => {
        await waitFor('the sync step to start', async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'runS3Sync'), 60_000, 50);
        await handle.cancel();
      },
    });
    expect(stoppedRclone).toBe(true);
    expect(rec.calls).toEqual(['prepareS3Sync', 'runS3Sync', 'finishS3Sync']);
    expect(rec.finish).toMatchObject({ status: 'cancelled', failureReason: 'cancelled' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });
});
