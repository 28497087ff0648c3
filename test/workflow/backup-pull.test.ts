// BackupWorkflow in pull mode on the time-skipping test server, with fake activities: the
// agent exports, the server worker runs the engine against the export; a lost export is
// opened again a few times; the export is always stopped; push plans never export.
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
import { toApplicationFailure } from '../../activities/shared/failure';
import { ExportLostError } from '../../activities/server/pull/export-client';
import type { SnapshotHandle } from '../../contract/snapshot';
import type { AgentActivities, BackupStepResult, ServerActivities, BackupPlan, FinishRunInput } from '../../contract/backup-activities';
import type { ExportActivities, ExportEndpoint, PullActivities, PullBackupInput, StartExportInput } from '../../contract/pull';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

const plan: BackupPlan = {
  jobId: 8,
  jobName: 'www',
  agentName: 'web2',
  repository: { id: 300, name: 'main', url: '/srv/repo' },
  paths: ['/srv/www'],
  excludes: ['*.tmp'],
  snapshotMode: 'none',
  mode: 'pull',
  preScript: null,
  postHook: 'echo done',
};

const snapshot = { id: 'b'.repeat(64), time: '2026-11-22T10:00:00Z', hostname: 'web2', paths: ['/srv/www'], tags: [] };
const okBackup: BackupStepResult = { snapshot, stats: null, unreadable: [], adopted: false };
const handleOf = (paths: string[]): SnapshotHandle => ({ mode: 'none', ref: 'none:r', readPaths: paths, warnings: [] });

/** What the fake runPullBackup throws when the export broke: exactly what the activity edge makes of it. */
const exportLost = () => toApplicationFailure(new ExportLostError('the agent export at 10.0.0.2:40001 closed the connection')) as ApplicationFailure;

interface Recorder {
  calls: string[];
  startExports: StartExportInput[];
  pulls: PullBackupInput[];
  finish?: FinishRunInput;
}

let nextRepositoryId = 300;
let nextPort = 40_000;

async function runScenario(opts: {
  runPullBackup?: (input: PullBackupInput, rec: Recorder) => Promise<BackupStepResult>;
  planOverride?: Partial<BackupPlan>;
  /** A plan as old histories have it: no `mode` at all. */
  dropMode?: boolean;
  whileRunning?: (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>) => Promise<void>;
}): Promise<{ rec: Recorder; result: unknown; error?: unknown }> {
  const rec: Recorder = { calls: [], startExports: [], pulls: [] };
  const note = (name: string) => rec.calls.push(name);
  const p: BackupPlan = { ...plan, repository: { ...plan.repository, id: nextRepositoryId++ }, ...opts.planOverride };
  if (opts.dropMode) delete (p as Partial<BackupPlan>).mode;
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    ...LOCAL_ACTIVITY_CACHE,
    activities: fakes<ServerActivities & LockActivities & PullActivities>({
      prepareBackup: async () => (note('prepareBackup'), p),
      runPreScript: async () => void note('runPreScript'),
      recordSnapshot: async () => void note('recordSnapshot'),
      finishRun: async (i: FinishRunInput) => {
        note('finishRun');
        rec.finish = i;
      },
      notify: async () => void note('notify'),
      runPullBackup: async (i: PullBackupInput) => {
        note('runPullBackup');
        rec.pulls.push(i);
        return opts.runPullBackup ? opts.runPullBackup(i, rec) : okBackup;
      },
      ...suite.lockActivities(),
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue(p.agentName),
    activities: fakes<AgentActivities & ExportActivities>({
      createSnapshot: async () => (note('createSnapshot'), handleOf(p.paths)),
      releaseSnapshot: async () => void note('releaseSnapshot'),
      runBackup: async () => (note('runBackup'), okBackup),
      runPostHook: async () => (note('runPostHook'), { exitCode: 0, output: [] }),
      startExport: async (i: StartExportInput): Promise<ExportEndpoint> => {
        note('startExport');
        rec.startExports.push(i);
        return { runId: i.runId, agentName: p.agentName, host: '10.0.0.2', port: nextPort++ };
      },
      stopExport: async () => void note('stopExport'),
    }),
  });
  const workflowId = `backup/8/${Math.random().toString(36).slice(2)}`;
  let result: unknown;
  let error: unknown;
  await serverWorker.runUntil(
    agentWorker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(backupWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId,
        args: [{ runId: 'run-pull', jobId: 8, agentScheduleToStartMs: 60_000, engineHeartbeatTimeoutMs: 2_000 }],
      });
      if (opts.whileRunning) await opts.whileRunning(handle);
      result = await handle.result().catch((e: unknown) => {
        error = e;
      });
    }),
  );
  return { rec, result, error };
}

describe('BackupWorkflow in pull mode', () => {
  it('exports, pulls, stops the export, releases the snapshot and records the snapshot', async () => {
    const { rec, result } = await runScenario({});
    expect(rec.calls).toEqual([
      'prepareBackup', 'createSnapshot', 'startExport', 'runPullBackup', 'stopExport', 'releaseSnapshot', 'runPostHook', 'recordSnapshot', 'finishRun', 'notify',
    ]);
    expect(rec.calls).not.toContain('runBackup');
    expect(rec.startExports).toEqual([{ runId: 'run-pull', handle: handleOf(['/srv/www']) }]);
    expect(rec.pulls).toHaveLength(1);
    expect(rec.pulls[0]).toMatchObject({
      runId: 'run-pull',
      jobId: 8,
      agentName: 'web2',
      paths: ['/srv/www'],
      excludes: ['*.tmp'],
      export: { runId: 'run-pull', agentName: 'web2', host: '10.0.0.2' },
    });
    expect(rec.pulls[0]!.repository.url).toBe('/srv/repo');
    expect(rec.finish).toMatchObject({ status: 'succeeded', snapshotId: snapshot.id, failureReason: null });
    expect(result).toMatchObject({ status: 'succeeded', snapshotId: snapshot.id });
  });

  it('exports again after a lost export and succeeds, pulling from the new endpoint', async () => {
    const { rec, result } = await runScenario({
      runPullBackup: async (_i, r) => {
        if (r.pulls.length === 1) throw exportLost();
        return okBackup;
      },
    });
    expect(rec.calls.filter((c) => c === 'startExport')).toHaveLength(2);
    // The activity's own retry policy does not retry a lost export: the workflow exports anew.
    expect(rec.calls.filter((c) => c === 'runPullBackup')).toHaveLength(2);
    expect(rec.pulls[1]!.export.port).not.toBe(rec.pulls[0]!.export.port);
    expect(rec.calls.slice(2, 6)).toEqual(['startExport', 'runPullBackup', 'startExport', 'runPullBackup']);
    expect(rec.calls.filter((c) => c === 'stopExport')).toHaveLength(1);
    expect(rec.finish).toMatchObject({ status: 'succeeded', snapshotId: snapshot.id });
    expect(result).toMatchObject({ status: 'succeeded' });
  });

  it('fails with a readable reason after four lost exports, and still stops the export and releases the snapshot', async () => {
    const { rec, error } = await runScenario({
      runPullBackup: async () => {
        throw exportLost();
      },
    });
    expect(rec.calls.filter((c) => c === 'startExport')).toHaveLength(4);
    expect(rec.calls.filter((c) => c === 'runPullBackup')).toHaveLength(4);
    expect(rec.calls.slice(-5)).toEqual(['stopExport', 'releaseSnapshot', 'runPostHook', 'finishRun', 'notify']);
    expect(rec.calls).not.toContain('recordSnapshot');
    expect(rec.finish).toMatchObject({ status: 'failed', snapshotId: null, failureReason: 'the agent export at 10.0.0.2:40001 closed the connection' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('does not export again for a failure that is not a lost export', async () => {
    const { rec, error } = await runScenario({
      runPullBackup: async () => {
        throw ApplicationFailure.create({ message: 'restic backup: wrong repository password', type: ErrorType.repositoryAuth, nonRetryable: true });
      },
    });
    expect(rec.calls.filter((c) => c === 'startExport')).toHaveLength(1);
    expect(rec.calls.filter((c) => c === 'runPullBackup')).toHaveLength(1);
    expect(rec.calls).toContain('stopExport');
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: 'restic backup: wrong repository password' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('stops the export and releases the snapshot when cancelled while pulling', async () => {
    const { rec, error } = await runScenario({
      runPullBackup: async () => {
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      whileRunning: async (handle) => {
        await waitFor('the pull step to start', async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'runPullBackup'), 60_000, 50);
        await handle.cancel();
      },
    });
    expect(rec.calls.filter((c) => c === 'startExport')).toHaveLength(1);
    expect(rec.calls.slice(-5)).toEqual(['stopExport', 'releaseSnapshot', 'runPostHook', 'finishRun', 'notify']);
    expect(rec.finish).toMatchObject({ status: 'cancelled', failureReason: 'cancelled' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it.each([
    ['mode push', { planOverride: { mode: 'push' } as Partial<BackupPlan> }],
    ['no mode (a plan from an older history)', { dropMode: true }],
  ])('a %s plan runs the engine on the agent and never exports', async (_name, o) => {
    const { rec, result } = await runScenario(o);
    expect(rec.calls).toEqual(['prepareBackup', 'createSnapshot', 'runBackup', 'releaseSnapshot', 'runPostHook', 'recordSnapshot', 'finishRun', 'notify']);
    expect(rec.calls).not.toContain('startExport');
    expect(rec.calls).not.toContain('stopExport');
    expect(result).toMatchObject({ status: 'succeeded' });
  });
});
