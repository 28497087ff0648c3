// CheckWorkflow on the time-skipping test server: maintenance activities mocked, the
// repository lock real (real lock activities and lock workflow).
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { timeSkippingSuite } from './support/time-skipping';
import { waitFor } from '../support/wait';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { ErrorType } from '../../contract/errors';
import { SERVER_TASK_QUEUE } from '../../contract/names';
import { CHECK_MAX_ATTEMPTS, checkPhaseQuery, checkWorkflow } from '../../workflows/check';
import { finishSignal, holderStateQuery, lockHolderWorkflow } from './support/lock-holder';
import type { CheckPlan, FinishMaintenanceRunInput, MaintenanceActivities } from '../../contract/prune-activities';

jest.setTimeout(180_000);

const suite = timeSkippingSuite(require.resolve('./support/lock-holder'));

let nextRepo = 1;
const planFor = (repositoryId: number): CheckPlan => ({ repository: { id: repositoryId, name: `repo-${repositoryId}`, engine: 'restic' } });

interface Recorder {
  calls: string[];
  finish?: FinishMaintenanceRunInput;
}

type CheckBehaviour = 'ok' | 'damaged' | 'flaky-io';

async function withWorker<T>(plan: CheckPlan, rec: Recorder, behaviour: CheckBehaviour, fn: () => Promise<T>): Promise<T> {
  const note = (c: string) => rec.calls.push(c);
  const worker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    // No sticky queues, as in prune.test.ts: an idle lock workflow of an earlier scenario wakes here at once.
    maxCachedWorkflows: 0,
    activities: fakes<MaintenanceActivities & LockActivities>({
      ...suite.lockActivities(),
      prepareCheck: async () => (note('prepareCheck'), plan),
      checkRepository: async () => {
        note('check');
        if (behaviour === 'damaged') throw ApplicationFailure.create({ message: 'restic check: the repository is damaged: pack 46f7a612: does not exist', type: ErrorType.repositoryDamaged, nonRetryable: true });
        if (behaviour === 'flaky-io') throw ApplicationFailure.create({ message: 'restic check: restic exited with code 1: read: input/output error', type: ErrorType.engine });
        return { engine: 'restic', durationSeconds: 1.5 };
      },
      finishMaintenanceRun: async (i: FinishMaintenanceRunInput) => {
        note('finish');
        rec.finish = i;
      },
    }),
  });
  return worker.runUntil(fn());
}

const startCheck = (repositoryId: number) =>
  suite.env.client.workflow.start(checkWorkflow, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId: `check/repository-${repositoryId}/${Math.random().toString(36).slice(2)}`,
    args: [{ runId: `run-${repositoryId}`, repositoryId }],
  });

describe('CheckWorkflow', () => {
  it('checks under the lock and records the engine and duration', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    const result = await withWorker(planFor(repo), rec, 'ok', async () => (await startCheck(repo)).result());
    expect(rec.calls).toEqual(['prepareCheck', 'check', 'finish']);
    expect(rec.finish).toEqual({ runId: `run-${repo}`, status: 'succeeded', warnings: [], failureReason: null, details: { engine: 'restic', durationSeconds: 1.5 } });
    expect(result).toMatchObject({ status: 'succeeded', details: { engine: 'restic', durationSeconds: 1.5 } });
  });

  it('fails the run at once with the engine reason when the repository is damaged', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    const error = await withWorker(planFor(repo), rec, 'damaged', async () => (await startCheck(repo)).result().catch((e: unknown) => e));
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(rec.calls).toEqual(['prepareCheck', 'check', 'finish']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: 'restic check: the repository is damaged: pack 46f7a612: does not exist', details: { engine: 'restic', durationSeconds: null } });
  });

  it('gives a retryable engine failure a few attempts, then fails the run', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    const error = await withWorker(planFor(repo), rec, 'flaky-io', async () => (await startCheck(repo)).result().catch((e: unknown) => e));
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(rec.calls).toEqual(['prepareCheck', ...Array<string>(CHECK_MAX_ATTEMPTS).fill('check'), 'finish']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('input/output error') });
  });

  it('waits for a running backup (a shared holder) before checking', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    await withWorker(planFor(repo), rec, 'ok', async () => {
      const backup = await suite.env.client.workflow.start(lockHolderWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: `backup-like/check-${repo}`,
        args: [{ repositoryId: repo, mode: 'shared' }],
      });
      await waitFor('the backup to hold the lock', async () => (await backup.query(holderStateQuery)) === 'held', 60_000, 50);
      const check = await startCheck(repo);
      await waitFor('the check to wait for the lock', async () => (await check.query(checkPhaseQuery)) === 'waiting-for-lock', 60_000, 50);
      expect(rec.calls).toEqual(['prepareCheck']);

      await backup.signal(finishSignal);
      await backup.result();
      await check.result();
      expect(await check.query(checkPhaseQuery)).toBe('finished');
    });
    expect(rec.calls).toEqual(['prepareCheck', 'check', 'finish']);
    expect(rec.finish?.status).toBe('succeeded');
  });
});
