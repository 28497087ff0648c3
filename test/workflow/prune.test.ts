// PruneWorkflow on the time-skipping test server: maintenance activities mocked, the
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
import { prunePhaseQuery, pruneWorkflow } from '../../workflows/prune';
import { finishSignal, holderStateQuery, lockHolderWorkflow } from './support/lock-holder';
import type { MaintenanceActivities, FinishMaintenanceRunInput, PrunePlan } from '../../contract/prune-activities';

jest.setTimeout(180_000);

const suite = timeSkippingSuite(require.resolve('./support/lock-holder'));

let nextRepo = 1;
const planFor = (repositoryId: number, over: Partial<PrunePlan> = {}): PrunePlan => ({
  repository: { id: repositoryId, name: `repo-${repositoryId}` },
  jobs: [
    { id: 1, name: 'etc', retention: { keepLast: 2 } },
    { id: 2, name: 'home', retention: { keepDaily: 7 } },
  ],
  postPruneScript: 'echo pruned',
  s3Sync: false,
  ...over,
});

interface Recorder {
  calls: string[];
  finish?: FinishMaintenanceRunInput;
  scriptSuccess?: boolean;
}

async function withWorker<T>(plan: PrunePlan, rec: Recorder, opts: { pruneFails?: boolean }, fn: () => Promise<T>): Promise<T> {
  const note = (c: string) => rec.calls.push(c);
  const worker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    // No sticky queues: a lock workflow left idle by an earlier scenario then wakes on this
    // scenario's worker at once, instead of waiting out a dead worker's sticky timeout on
    // every timer while the test server skips hours.
    maxCachedWorkflows: 0,
    activities: fakes<MaintenanceActivities & LockActivities>({
      ...suite.lockActivities(),
      preparePrune: async () => (note('preparePrune'), plan),
      forgetJobSnapshots: async (i: { jobId: number }) => {
        note(`forget:${i.jobId}`);
        return { jobId: i.jobId, kept: 2, removed: 1, removedSnapshots: [`gone-${i.jobId}`] };
      },
      pruneRepository: async () => {
        note('prune');
        if (opts.pruneFails) throw ApplicationFailure.create({ message: 'restic prune: wrong repository password', type: ErrorType.repositoryAuth, nonRetryable: true });
        return { blobsRemoved: 7, bytesFreed: 5000, bytesRemaining: 800, bytesUnusedAfter: 0 };
      },
      syncCatalogSnapshots: async () => (note('syncCatalog'), { added: 0, removed: 2, snapshots: 4 }),
      runPostPruneScript: async (i: { success: boolean }) => {
        note('postPruneScript');
        rec.scriptSuccess = i.success;
        return { exitCode: 0, output: [] };
      },
      finishMaintenanceRun: async (i: FinishMaintenanceRunInput) => {
        note('finish');
        rec.finish = i;
      },
    }),
  });
  return worker.runUntil(fn());
}

const startPrune = (repositoryId: number) =>
  suite.env.client.workflow.start(pruneWorkflow, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId: `prune/repository-${repositoryId}/${Math.random().toString(36).slice(2)}`,
    args: [{ runId: `run-${repositoryId}`, repositoryId }],
  });

describe('PruneWorkflow', () => {
  it('forgets per job, prunes, syncs the catalog, runs the post-prune script and records the result', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    const result = await withWorker(planFor(repo), rec, {}, async () => (await startPrune(repo)).result());
    expect(rec.calls).toEqual(['preparePrune', 'forget:1', 'forget:2', 'prune', 'syncCatalog', 'postPruneScript', 'finish']);
    expect(rec.scriptSuccess).toBe(true);
    expect(rec.finish).toMatchObject({
      status: 'succeeded',
      failureReason: null,
      details: {
        jobs: [
          { jobId: 1, jobName: 'etc', kept: 2, removed: 1, removedSnapshots: ['gone-1'] },
          { jobId: 2, jobName: 'home', kept: 2, removed: 1, removedSnapshots: ['gone-2'] },
        ],
        prune: { bytesFreed: 5000 },
        catalog: { removed: 2 },
        postPruneScript: { exitCode: 0 },
      },
    });
    expect(result.status).toBe('succeeded');
  });

  it('still syncs the catalog and runs the post-prune script when prune fails', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    const error = await withWorker(planFor(repo, { jobs: [{ id: 1, name: 'etc', retention: { keepLast: 1 } }] }), rec, { pruneFails: true }, async () =>
      (await startPrune(repo)).result().catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(rec.calls).toEqual(['preparePrune', 'forget:1', 'prune', 'syncCatalog', 'postPruneScript', 'finish']);
    expect(rec.scriptSuccess).toBe(false);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: 'restic prune: wrong repository password' });
  });

  it('skips the post-prune script when none is configured', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    await withWorker(planFor(repo, { postPruneScript: null, jobs: [] }), rec, {}, async () => (await startPrune(repo)).result());
    expect(rec.calls).toEqual(['preparePrune', 'prune', 'syncCatalog', 'finish']);
  });

  it('waits for a running backup (a shared holder) before touching the repository', async () => {
    const repo = nextRepo++;
    const rec: Recorder = { calls: [] };
    await withWorker(planFor(repo), rec, {}, async () => {
      const backup = await suite.env.client.workflow.start(lockHolderWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: `backup-like/${repo}`,
        args: [{ repositoryId: repo, mode: 'shared' }],
      });
      await waitFor('the backup to hold the lock', async () => (await backup.query(holderStateQuery)) === 'held', 60_000, 50);
      const prune = await startPrune(repo);
      await waitFor('the prune to wait for the lock', async () => (await prune.query(prunePhaseQuery)) === 'waiting-for-lock', 60_000, 50);
      expect(rec.calls).toEqual(['preparePrune']);

      await backup.signal(finishSignal);
      await backup.result();
      await prune.result();
      expect(await prune.query(prunePhaseQuery)).toBe('finished');
    });
    expect(rec.finish?.status).toBe('succeeded');
    expect(rec.calls.slice(-2)).toEqual(['postPruneScript', 'finish']);
  });
});
