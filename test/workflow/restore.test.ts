// RestoreWorkflow on the time-skipping test server, with mocked activities: step order,
// approval (approve, reject, timeout, a second decision), a refused target, retry after a
// crashed restore step, and cleanup on failure.
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { timeSkippingSuite } from './support/time-skipping';
import { waitFor } from '../support/wait';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { restoreWorkflow } from '../../workflows/restore';
import { approveSignal, rejectSignal } from '../../workflows/restore-approval';
import type { RestoreSummary } from '../../contract/engine';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { RestoreAgentActivities, RestoreHookInput, RestoreStepInput, RestoreTargetInput, RestoreTargetResult, RestoreServerActivities, FinishRestoreInput } from '../../contract/restore-activities';
import type { RestoreWorkflowInput } from '../../contract/workflows';
import type { ExportActivities, PullActivities, ServerRestoreInput, StartRestoreExportInput } from '../../contract/pull';
import { toApplicationFailure } from '../../activities/shared/failure';
import { ExportLostError } from '../../activities/server/pull/export-client';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

const snapshotId = 'b'.repeat(64);
const baseInput: RestoreWorkflowInput = {
  runId: 'run-r1',
  snapshot: { id: snapshotId, repositoryId: 3, jobId: 7, paths: ['/srv/data'] },
  agentName: 'web2',
  target: null,
  include: [],
  overwrite: null,
  verify: true,
  requireApproval: false,
  approvalTimeoutMs: 24 * 3_600_000,
  postHook: 'echo restored',
};
const summary: RestoreSummary = { filesTotal: 3, filesRestored: 3, filesSkipped: 0, filesDeleted: 0, bytesTotal: 10, bytesRestored: 10, bytesSkipped: 0, verified: true };
const checked: RestoreTargetResult = { target: '/restores/bbbbbbbb-20261123T000000Z', existed: false, include: [] };

interface Recorder {
  calls: string[];
  finish?: FinishRestoreInput;
  step?: RestoreStepInput;
  hook?: RestoreHookInput;
  serverStep?: ServerRestoreInput;
}

let nextRepositoryId = 3;

async function runScenario(opts: {
  input?: Partial<RestoreWorkflowInput>;
  checkTarget?: (i: RestoreTargetInput) => Promise<RestoreTargetResult>;
  runRestore?: (attempt: number) => Promise<RestoreSummary>;
  /** The server worker's engine of a `via: server` restore. */
  runServerRestore?: (attempt: number) => Promise<RestoreSummary>;
  whileRunning?: (handle: WorkflowHandle<typeof restoreWorkflow>, rec: Recorder) => Promise<void>;
}): Promise<{ rec: Recorder; result?: Awaited<ReturnType<typeof restoreWorkflow>>; error?: unknown }> {
  const rec: Recorder = { calls: [] };
  const note = (name: string) => rec.calls.push(name);
  const input = { ...baseInput, ...opts.input };
  let attempts = 0;
  // A repository of its own per scenario, so its lock workflow lives on this scenario's workers.
  const repositoryId = nextRepositoryId++;
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    // No sticky queues: a lock workflow left idle by an earlier scenario then wakes on this
    // scenario's worker at once, instead of waiting out a dead worker's sticky timeout on
    // every timer while the test server skips hours.
    maxCachedWorkflows: 0,
    activities: fakes<RestoreServerActivities & LockActivities & Pick<PullActivities, 'runServerRestore'>>({
      // The restore step holds the shared repository lock: the real lock activities and workflow.
      ...suite.lockActivities(),
      startRestoreRun: async () => (note('startRestoreRun'), { repository: { id: repositoryId, name: 'main', url: '/srv/repo' } }),
      markRestoreAwaitingApproval: async () => void note('markRestoreAwaitingApproval'),
      markRestoreRunning: async () => void note('markRestoreRunning'),
      finishRestoreRun: async (i: FinishRestoreInput) => {
        note('finishRestoreRun');
        rec.finish = i;
      },
      notifyRestore: async () => void note('notifyRestore'),
      runServerRestore: async (i: ServerRestoreInput) => {
        note('runServerRestore');
        rec.serverStep = i;
        return opts.runServerRestore ? opts.runServerRestore(++attempts) : summary;
      },
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue(input.agentName),
    activities: fakes<RestoreAgentActivities & Pick<ExportActivities, 'startRestoreExport' | 'stopExport'>>({
      checkRestoreTarget: async (i: RestoreTargetInput) => (note('checkRestoreTarget'), opts.checkTarget ? opts.checkTarget(i) : checked),
      runRestore: async (i: RestoreStepInput) => {
        note('runRestore');
        rec.step = i;
        return opts.runRestore ? opts.runRestore(++attempts) : summary;
      },
      startRestoreExport: async (i: StartRestoreExportInput) => (note('startRestoreExport'), { runId: i.runId, host: '10.0.0.2', port: 40_000 + rec.calls.length }),
      stopExport: async () => void note('stopExport'),
      runRestoreHook: async (i: RestoreHookInput) => {
        note('runRestoreHook');
        rec.hook = i;
        return { exitCode: 0, output: [] };
      },
    }),
  });
  let result: Awaited<ReturnType<typeof restoreWorkflow>> | undefined;
  let error: unknown;
  await serverWorker.runUntil(
    agentWorker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(restoreWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: `restore/7/${Math.random().toString(36).slice(2)}`,
        args: [{ ...input, agentScheduleToStartMs: 60_000, engineHeartbeatTimeoutMs: 2_000 }],
      });
      if (opts.whileRunning) await opts.whileRunning(handle, rec);
      result = await handle.result().catch((e: unknown) => {
        error = e;
        return undefined;
      });
    }),
  );
  return { rec, result, error };
}

async function untilAwaiting(rec: Recorder): Promise<void> {
  await waitFor('the restore to await approval', async () => rec.calls.includes('markRestoreAwaitingApproval'), 60_000, 50);
}

describe('RestoreWorkflow', () => {
  it('checks the target, restores, runs the hook and records the outcome', async () => {
    const { rec, result } = await runScenario({ input: { include: ['/srv/data/a'] } });
    expect(rec.calls).toEqual(['startRestoreRun', 'checkRestoreTarget', 'runRestore', 'runRestoreHook', 'finishRestoreRun', 'notifyRestore']);
    expect(rec.step).toMatchObject({ target: checked.target, snapshotId, repository: { id: expect.any(Number), url: '/srv/repo' }, overwrite: null, verify: true });
    expect(rec.hook).toMatchObject({ success: true, target: checked.target, snapshotId });
    expect(rec.finish).toMatchObject({
      status: 'succeeded',
      snapshotId,
      failureReason: null,
      details: { target: checked.target, include: ['/srv/data/a'], summary, verification: 'passed', approval: null, postHookExitCode: 0 },
    });
    expect(result).toMatchObject({ status: 'succeeded', target: checked.target });
  });

  it('waits for approval, then restores once approved, recording who approved', async () => {
    const { rec, result } = await runScenario({
      input: { requireApproval: true, target: '/srv/data', overwrite: 'always' },
      whileRunning: async (handle, r) => {
        await untilAwaiting(r);
        expect(r.calls).not.toContain('runRestore');
        await handle.signal(approveSignal, { by: 'alice', note: 'go ahead' });
        // A second decision after the first is a no-op.
        await handle.signal(rejectSignal, { by: 'bob' });
      },
    });
    expect(rec.calls).toEqual([
      'startRestoreRun', 'checkRestoreTarget', 'markRestoreAwaitingApproval', 'markRestoreRunning', 'runRestore', 'runRestoreHook', 'finishRestoreRun', 'notifyRestore',
    ]);
    expect(rec.step?.overwrite).toBe('always');
    expect(rec.finish?.details.approval).toMatchObject({ decision: 'approved', by: 'alice', note: 'go ahead' });
    expect(result?.status).toBe('succeeded');
  });

  it('ends cancelled, writing nothing, when the operator rejects', async () => {
    const { rec, result, error } = await runScenario({
      input: { requireApproval: true },
      whileRunning: async (handle, r) => {
        await untilAwaiting(r);
        await handle.signal(rejectSignal, { by: 'bob', note: 'wrong host' });
      },
    });
    expect(error).toBeUndefined();
    expect(rec.calls).not.toContain('runRestore');
    expect(rec.calls).not.toContain('runRestoreHook');
    expect(rec.finish).toMatchObject({ status: 'cancelled', failureReason: 'restore rejected by bob: wrong host' });
    expect(rec.finish?.details.approval).toMatchObject({ decision: 'rejected', by: 'bob' });
    expect(result?.status).toBe('cancelled');
  });

  it('rejects the restore when nobody decides before the approval timeout', async () => {
    const { rec, result } = await runScenario({ input: { requireApproval: true, approvalTimeoutMs: 2 * 3_600_000 } });
    expect(rec.calls).not.toContain('runRestore');
    expect(rec.finish).toMatchObject({ status: 'cancelled', failureReason: 'approval timed out after 2h' });
    expect(result?.approval).toMatchObject({ decision: 'timed-out', by: null });
  });

  it('fails at once, without restoring or running the hook, when the agent refuses the target', async () => {
    let checks = 0;
    const { rec, error } = await runScenario({
      input: { target: '/etc' },
      checkTarget: async () => {
        checks++;
        throw ApplicationFailure.create({ message: "restore target /etc is outside this agent's allowed restore roots: /restores", type: ErrorType.input, nonRetryable: true });
      },
    });
    expect(checks).toBe(1);
    expect(rec.calls).toEqual(['startRestoreRun', 'checkRestoreTarget', 'finishRestoreRun', 'notifyRestore']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: "restore target /etc is outside this agent's allowed restore roots: /restores" });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('retries the restore step after a crash and succeeds into the same target', async () => {
    const { rec, result } = await runScenario({
      runRestore: async (attempt) => {
        if (attempt === 1) throw ApplicationFailure.create({ message: 'restic restore: restic was killed', type: ErrorType.engine });
        return summary;
      },
    });
    expect(rec.calls.filter((c) => c === 'runRestore')).toHaveLength(2);
    expect(rec.step?.target).toBe(checked.target);
    expect(result?.status).toBe('succeeded');
  });

  it('records a failed restore, still running the hook with success=false', async () => {
    const { rec, error } = await runScenario({
      runRestore: async () => {
        throw ApplicationFailure.create({ message: 'restic restore: snapshot not found in the repository', type: ErrorType.notFound, nonRetryable: true });
      },
    });
    expect(rec.calls.slice(-3)).toEqual(['runRestoreHook', 'finishRestoreRun', 'notifyRestore']);
    expect(rec.hook?.success).toBe(false);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: 'restic restore: snapshot not found in the repository', details: { summary: null, verification: null } });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  describe('via server (the engine on the server worker, streaming into the agent)', () => {
    it('opens the import on the target agent, restores from the server, stops the import before the hook', async () => {
      const { rec, result } = await runScenario({ input: { via: 'server' } });
      expect(result?.status).toBe('succeeded');
      expect(rec.calls).toEqual(['startRestoreRun', 'checkRestoreTarget', 'startRestoreExport', 'runServerRestore', 'stopExport', 'runRestoreHook', 'finishRestoreRun', 'notifyRestore']);
      expect(rec.serverStep).toMatchObject({ agentName: 'web2', target: checked.target, snapshotId, verify: true, export: { host: '10.0.0.2' } });
      expect(rec.finish?.details).toMatchObject({ via: 'server', verification: 'passed' });
    });

    it('opens the import again when the channel is lost, then succeeds', async () => {
      const { rec, result } = await runScenario({
        input: { via: 'server' },
        runServerRestore: async (attempt) => {
          if (attempt === 1) throw toApplicationFailure(new ExportLostError('the import at 10.0.0.2 closed the connection'));
          return summary;
        },
      });
      expect(result?.status).toBe('succeeded');
      expect(rec.calls.filter((c) => c === 'startRestoreExport')).toHaveLength(2);
      expect(rec.calls.filter((c) => c === 'runServerRestore')).toHaveLength(2);
    });

    it('still stops the import when the server restore fails', async () => {
      const { rec, error } = await runScenario({
        input: { via: 'server' },
        runServerRestore: async () => {
          throw ApplicationFailure.nonRetryable('tar on web2 could not write / (exit 2): disk full', ErrorType.engine);
        },
      });
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(rec.finish?.status).toBe('failed');
      expect(rec.calls).toContain('stopExport');
      expect(rec.calls).not.toContain('runRestore');
      expect(rec.finish?.failureReason).toMatch(/disk full/);
    });
  });
});
