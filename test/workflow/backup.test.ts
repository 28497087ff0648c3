// BackupWorkflow on the time-skipping test server, with mocked activities: step order,
// cleanup on failure and cancellation, retries, warnings and an unreachable agent; in pull
// mode, the agent's export and the server's engine step, a lost export opened again, the
// export always stopped, and push plans (old ones too) never exporting.
import { fakes, type Fakes } from './support/fakes';
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
import type { ExportActivities, ExportEndpoint, PullActivities, PullBackupInput, StartExportInput } from '../../contract/pull';
import type { ContainerAgentActivities } from '../../contract/container-activities';
import type { BackupStepInput } from '../../contract/backup-activities';
import { toApplicationFailure } from '../../activities/shared/failure';
import { ExportLostError } from '../../activities/server/pull/export-client';

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
  /** The workflow's input (default run-1 of job 7). */
  input?: { runId: string; jobId: number };
  /** A plan as old histories have it: no `mode` at all. */
  dropMode?: boolean;
  /** More fakes on the server worker and the agent (pull mode's steps). */
  server?: (rec: Recorder) => Fakes<PullActivities>;
  agent?: (rec: Recorder) => Fakes<ExportActivities & ContainerAgentActivities & Pick<AgentActivities, 'runBackup'>>;
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
  const p: BackupPlan = { ...plan, repository: { ...plan.repository, id: nextRepositoryId++ }, ...opts.planOverride };
  if (opts.dropMode) delete (p as Partial<BackupPlan>).mode;
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    // A short sticky timeout: a lock workflow left idle by an earlier scenario then wakes on
    // this scenario's worker within a second, instead of waiting out a dead worker's sticky
    // timeout on every timer while the test server skips hours. (No cache at all would do
    // that too, but not with local activities: see LOCAL_ACTIVITY_CACHE.)
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
      // The engine step takes the shared repository lock: the real lock activities, so the
      // real lock workflow grants it.
      ...suite.lockActivities(),
      ...opts.server?.(rec),
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue(p.agentName),
    activities: fakes<AgentActivities & ExportActivities & ContainerAgentActivities>({
      // The paths it was asked to freeze (a container job's come from its agent, not the plan).
      createSnapshot: async (i: { paths: string[] }) => (note('createSnapshot'), opts.createSnapshot ? opts.createSnapshot() : noneHandle(i.paths)),
      releaseSnapshot: async () => void note('releaseSnapshot'),
      runBackup: async () => (note('runBackup'), opts.runBackup(rec)),
      runPostHook: async (i: PostHookInput) => {
        note('runPostHook');
        rec.postHook = i;
        return { exitCode: 0, output: [] };
      },
      ...opts.agent?.(rec),
    }),
  });
  const workflowId = `backup/7/${Math.random().toString(36).slice(2)}`;
  const run = async () => {
    const handle = await suite.env.client.workflow.start(backupWorkflow, {
      taskQueue: SERVER_TASK_QUEUE,
      workflowId,
      args: [{ ...(opts.input ?? { runId: 'run-1', jobId: 7 }), agentScheduleToStartMs: opts.agentScheduleToStartMs ?? 60_000, engineHeartbeatTimeoutMs: 2_000 }],
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

/** An engine step that heartbeats until its cancellation arrives, as the real ones do. */
async function heartbeatUntilCancelled(): Promise<never> {
  const ctx = Context.current();
  for (;;) {
    ctx.heartbeat();
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Cancels the run once `activity` has started (the workflow's pending activities say so). */
function cancelOnceRunning(activity: string) {
  return async (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>): Promise<void> => {
    await waitFor(`${activity} to start`, async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === activity), 60_000, 50);
    await handle.cancel();
  };
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
      runBackup: heartbeatUntilCancelled,
      whileRunning: cancelOnceRunning('runBackup'),
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

// --- pull mode ----------------------------------------------------------------------------

const pullPlan: Partial<BackupPlan> = { jobId: 8, jobName: 'www', agentName: 'web2', paths: ['/srv/www'], excludes: ['*.tmp'], mode: 'pull' };
const pullSnapshot = { id: 'b'.repeat(64), time: '2026-11-22T10:00:00Z', hostname: 'web2', paths: ['/srv/www'], tags: [] };
const okPull: BackupStepResult = { snapshot: pullSnapshot, stats: null, unreadable: [], adopted: false };

/** What the fake runPullBackup throws when the export broke: exactly what the activity edge makes of it. */
const exportLost = () => toApplicationFailure(new ExportLostError('the agent export at 10.0.0.2:40001 closed the connection')) as ApplicationFailure;

interface PullRecorder extends Recorder {
  startExports: StartExportInput[];
  pulls: PullBackupInput[];
}

let nextPort = 40_000;

/** runScenario with a pull plan (job 8 on web2), recording the exports and the engine steps. */
async function pullScenario(opts: {
  runPullBackup?: (input: PullBackupInput, rec: PullRecorder) => Promise<BackupStepResult>;
  planOverride?: Partial<BackupPlan>;
  dropMode?: boolean;
  whileRunning?: (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>) => Promise<void>;
}): Promise<{ rec: PullRecorder; result: unknown; error?: unknown }> {
  const startExports: StartExportInput[] = [];
  const pulls: PullBackupInput[] = [];
  const withPulls = (rec: Recorder): PullRecorder => Object.assign(rec, { startExports, pulls });
  const out = await runScenario({
    input: { runId: 'run-pull', jobId: 8 },
    planOverride: { ...pullPlan, ...opts.planOverride },
    dropMode: opts.dropMode,
    whileRunning: opts.whileRunning,
    runBackup: async () => okPull,
    server: (rec) => ({
      runPullBackup: async (i: PullBackupInput) => {
        rec.calls.push('runPullBackup');
        pulls.push(i);
        return opts.runPullBackup ? opts.runPullBackup(i, withPulls(rec)) : okPull;
      },
    }),
    agent: (rec) => ({
      startExport: async (i: StartExportInput): Promise<ExportEndpoint> => {
        rec.calls.push('startExport');
        startExports.push(i);
        return { runId: i.runId, host: '10.0.0.2', port: nextPort++ };
      },
      stopExport: async () => void rec.calls.push('stopExport'),
    }),
  });
  return { ...out, rec: withPulls(out.rec) };
}

describe('BackupWorkflow in pull mode', () => {
  it('exports, pulls, stops the export, releases the snapshot and records the snapshot', async () => {
    const { rec, result } = await pullScenario({});
    expect(rec.calls).toEqual([
      'prepareBackup', 'createSnapshot', 'startExport', 'runPullBackup', 'stopExport', 'releaseSnapshot', 'runPostHook', 'recordSnapshot', 'finishRun', 'notify',
    ]);
    expect(rec.calls).not.toContain('runBackup');
    expect(rec.startExports).toEqual([{ runId: 'run-pull', handle: noneHandle(['/srv/www']) }]);
    expect(rec.pulls).toHaveLength(1);
    expect(rec.pulls[0]).toMatchObject({
      runId: 'run-pull',
      jobId: 8,
      agentName: 'web2',
      paths: ['/srv/www'],
      excludes: ['*.tmp'],
      export: { runId: 'run-pull', host: '10.0.0.2' },
    });
    expect(rec.pulls[0]!.repository.url).toBe('/srv/repo');
    expect(rec.finish).toMatchObject({ status: 'succeeded', snapshotId: pullSnapshot.id, failureReason: null });
    expect(result).toMatchObject({ status: 'succeeded', snapshotId: pullSnapshot.id });
  });

  it('exports again after a lost export and succeeds, pulling from the new endpoint', async () => {
    const { rec, result } = await pullScenario({
      runPullBackup: async (_i, r) => {
        if (r.pulls.length === 1) throw exportLost();
        return okPull;
      },
    });
    expect(rec.calls.filter((c) => c === 'startExport')).toHaveLength(2);
    // The activity's own retry policy does not retry a lost export: the workflow exports anew.
    expect(rec.calls.filter((c) => c === 'runPullBackup')).toHaveLength(2);
    expect(rec.pulls[1]!.export.port).not.toBe(rec.pulls[0]!.export.port);
    expect(rec.calls.slice(2, 6)).toEqual(['startExport', 'runPullBackup', 'startExport', 'runPullBackup']);
    expect(rec.calls.filter((c) => c === 'stopExport')).toHaveLength(1);
    expect(rec.finish).toMatchObject({ status: 'succeeded', snapshotId: pullSnapshot.id });
    expect(result).toMatchObject({ status: 'succeeded' });
  });

  it('fails with a readable reason after four lost exports, and still stops the export and releases the snapshot', async () => {
    const { rec, error } = await pullScenario({
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
    const { rec, error } = await pullScenario({
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
    const { rec, error } = await pullScenario({
      runPullBackup: heartbeatUntilCancelled,
      whileRunning: cancelOnceRunning('runPullBackup'),
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
    const { rec, result } = await pullScenario(o);
    expect(rec.calls).toEqual(['prepareBackup', 'createSnapshot', 'runBackup', 'releaseSnapshot', 'runPostHook', 'recordSnapshot', 'finishRun', 'notify']);
    expect(rec.calls).not.toContain('startExport');
    expect(rec.calls).not.toContain('stopExport');
    expect(result).toMatchObject({ status: 'succeeded' });
  });
});

// Container jobs (issue 19 item 3): the files pipeline over the paths the agent finds, a
// running LXC container frozen only while its filesystem snapshot is created, always thawed.
describe('BackupWorkflow for a container job', () => {
  const containerPlan = { runtime: 'lxc' as const, name: 'c1', rootfs: '/var/lib/lxc/c1/rootfs', configRoot: '/var/lib/lxc/c1', configFiles: ['/var/lib/lxc/c1/config'], running: true };
  const containerJob = (snapshotMode: BackupPlan['snapshotMode'], running = true) => ({
    // An agent of their own: the scenarios above leave agent.web1's last worker shutting down.
    planOverride: { agentName: 'ct-host', paths: [], snapshotMode, container: { runtime: 'lxc' as const, name: 'c1' } } as Partial<BackupPlan>,
    agent: (rec: Recorder) =>
      fakes<ContainerAgentActivities & Pick<AgentActivities, 'runBackup'>>({
        resolveContainer: async () => (rec.calls.push('resolveContainer'), { ...containerPlan, running }),
        freezeContainer: async () => (rec.calls.push('freezeContainer'), { frozen: true }),
        thawContainer: async () => void rec.calls.push('thawContainer'),
      }),
  });

  it('backs up the rootfs and config the agent found, frozen only around the snapshot, tagged and recorded as a container', async () => {
    let engineInput: BackupStepInput | undefined;
    const o = containerJob('btrfs');
    const { rec, result } = await runScenario({
      ...o,
      agent: (r) => ({
        ...o.agent(r),
        runBackup: async (i: BackupStepInput) => {
          r.calls.push('runBackup');
          engineInput = i;
          return okBackup;
        },
      }),
      runBackup: async () => okBackup,
    });
    expect(rec.calls).toEqual(['prepareBackup', 'resolveContainer', 'freezeContainer', 'createSnapshot', 'thawContainer', 'runBackup', 'releaseSnapshot', 'runPostHook', 'recordSnapshot', 'finishRun', 'notify']);
    expect(engineInput?.paths).toEqual(['/var/lib/lxc/c1/rootfs', '/var/lib/lxc/c1/config']);
    expect(engineInput?.extraTags).toEqual(['backstop-container=c1']);
    expect(rec.finish?.details).toEqual({ container: { runtime: 'lxc', name: 'c1', rootfs: containerPlan.rootfs, configRoot: '/var/lib/lxc/c1', configFiles: ['/var/lib/lxc/c1/config'], frozen: true } });
    expect(result).toMatchObject({ status: 'succeeded' });
  });

  it.each([
    ['no snapshot mode', 'none' as const, true],
    ['a stopped container', 'btrfs' as const, false],
  ])('freezes nothing with %s', async (_what, mode, running) => {
    const { rec } = await runScenario({ ...containerJob(mode, running), runBackup: async () => okBackup });
    expect(rec.calls).not.toContain('freezeContainer');
    expect(rec.calls).not.toContain('thawContainer');
    expect(rec.finish?.details).toMatchObject({ container: { frozen: false } });
  });

  it('thaws the container when the snapshot fails', async () => {
    const { rec, error } = await runScenario({
      ...containerJob('btrfs'),
      createSnapshot: async () => {
        throw ApplicationFailure.create({ message: 'snapshot mode btrfs: /var/lib/lxc is not a btrfs volume', type: ErrorType.input, nonRetryable: true });
      },
      runBackup: async () => okBackup,
    });
    expect(rec.calls).toEqual(['prepareBackup', 'resolveContainer', 'freezeContainer', 'createSnapshot', 'thawContainer', 'runPostHook', 'finishRun', 'notify']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('not a btrfs volume') });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('thaws the container when the run is cancelled while its snapshot is taken', async () => {
    const { rec, error } = await runScenario({
      ...containerJob('btrfs'),
      createSnapshot: heartbeatUntilCancelled,
      whileRunning: cancelOnceRunning('createSnapshot'),
      runBackup: async () => okBackup,
    });
    expect(rec.calls.filter((c) => c === 'thawContainer')).toHaveLength(1);
    expect(rec.calls.indexOf('thawContainer')).toBeGreaterThan(rec.calls.indexOf('createSnapshot'));
    expect(rec.finish).toMatchObject({ status: 'cancelled' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
  });

  it('fails the run with the agent\'s reason when the container is not there, before any snapshot', async () => {
    const o = containerJob('btrfs');
    const { rec } = await runScenario({
      ...o,
      agent: (r) => ({
        ...o.agent(r),
        resolveContainer: async () => {
          r.calls.push('resolveContainer');
          throw ApplicationFailure.create({ message: 'LXC container "c1" does not exist on this agent: no /var/lib/lxc/c1/config', type: ErrorType.sourceMissing, nonRetryable: true });
        },
      }),
      runBackup: async () => okBackup,
    });
    expect(rec.calls).toEqual(['prepareBackup', 'resolveContainer', 'runPostHook', 'finishRun', 'notify']);
    expect(rec.finish).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('LXC container "c1" does not exist on this agent') });
  });
});
