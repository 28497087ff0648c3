// DrillWorkflow on the time-skipping test server with mocked activities, the repository lock
// real: the order of its steps, that findings fail the run with their reason while the
// steps go on, and that the scratch space is removed after the step that made it has
// stopped — when the drill passes, when a step fails, and when the run is cancelled mid-sample —
// before the run is recorded.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { fakes } from './support/fakes';
import { LOCAL_ACTIVITY_CACHE, timeSkippingSuite } from './support/time-skipping';
import { waitFor } from '../support/wait';
import { drillWorkflow } from '../../workflows/drill';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { LockActivities } from '../../contract/repository-lock';
import type { DrillDatabase, DrillFiles } from '../../contract/drill';
import type { DrillDatabaseActivities, DrillPlan, DrillSampleActivities, DrillSampleResult, DrillServerActivities, FinishDrillInput } from '../../contract/drill-activities';

jest.setTimeout(180_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

let nextRepositoryId = 300;
const SNAPSHOT = 'c'.repeat(64);

function planOf(over: Partial<DrillPlan> = {}): DrillPlan {
  return {
    job: { id: 4, name: 'srv', agentName: 'web-1', mode: 'push' },
    repository: { id: nextRepositoryId++, name: 'r', url: '/srv/repo', engine: 'restic' },
    settings: { sampleFiles: 20, sampleBytes: 1000, newestFiles: 3, readDataPercent: 5, verifyArchives: 1, staleAfterDays: 7, agent: null, probes: { '7': 'SELECT 1' } },
    sample: { site: 'agent', agentName: 'web-1' },
    lockMode: 'shared',
    snapshot: { id: SNAPSHOT, time: '2026-11-30T02:00:00Z', paths: ['/srv'], backupRunId: 'b-run' },
    streams: [{ configId: 7, snapshotId: 'd'.repeat(64), path: '/backstop/pg_dump/config-7/app.dump' }],
    ...over,
  };
}

const filesOf = (mismatches: DrillFiles['mismatches'] = []): DrillFiles => ({
  restoredOn: 'web-1',
  seed: 'run-d',
  candidates: 10,
  filesChecked: 3,
  bytesChecked: 300,
  mismatches,
  listError: null,
  restoreError: null,
  files: [],
  durationSeconds: 1,
});

const dbOf = (status: DrillDatabase['status'] = 'passed'): DrillDatabase => ({
  configId: 7,
  plugin: 'pg_dump',
  path: '/backstop/pg_dump/config-7/app.dump',
  snapshotId: 'd'.repeat(64),
  scratchDatabase: 'backstop_drill_x_0',
  status,
  tables: [{ name: 'public.items', rows: 2 }],
  probe: { query: 'SELECT 1', output: ['1'] },
  error: status === 'failed' ? 'the dump does not restore: pg_restore failed' : null,
  durationSeconds: 1,
});

interface Scenario {
  plan: DrillPlan;
  /** The sample step (`calls` to note what it does); by default it finds nothing wrong. */
  sample?: (calls: string[]) => Promise<DrillSampleResult>;
  database?: DrillDatabase;
  whileRunning?: (handle: Awaited<ReturnType<typeof suite.env.client.workflow.start>>, calls: string[]) => Promise<void>;
}

async function run(s: Scenario) {
  const calls: string[] = [];
  let finish: FinishDrillInput | undefined;
  let probe: string | null | undefined;
  const sampleActivities = fakes<DrillSampleActivities>({
    drillSampleFiles: async () => {
      calls.push('drillSampleFiles');
      return s.sample ? s.sample(calls) : { files: filesOf(), dumps: [] };
    },
    removeDrillScratch: async () => void calls.push('removeDrillScratch'),
  });
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    ...LOCAL_ACTIVITY_CACHE,
    activities: fakes<DrillServerActivities & LockActivities & DrillSampleActivities>({
      ...suite.lockActivities(),
      prepareDrill: async () => (calls.push('prepareDrill'), s.plan),
      checkDrillRepository: async (i) => {
        calls.push(`checkDrillRepository:${i.readDataPercent}%`);
        return { engine: 'restic', scope: 'restic check --no-lock --read-data-subset=5%', passed: true, problems: null, durationSeconds: 1 };
      },
      finishDrill: async (i: FinishDrillInput) => {
        calls.push('finishDrill');
        finish = i;
      },
      // A pull job's sample runs here.
      ...(s.plan.sample.site === 'server' ? sampleActivities : {}),
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue('web-1'),
    activities: fakes<DrillSampleActivities & DrillDatabaseActivities>({
      ...(s.plan.sample.site === 'agent' ? sampleActivities : {}),
      drillDatabase: async (i) => {
        calls.push(`drillDatabase:${i.scratchDatabase}`);
        probe = i.probe;
        return s.database ?? dbOf();
      },
      dropDrillDatabases: async (i) => {
        calls.push(`dropDrillDatabases:${i.databases.map((d) => d.name).join(',')}`);
        return { warnings: [] };
      },
    }),
  });
  let error: unknown;
  let result: Awaited<ReturnType<typeof drillWorkflow>> | undefined;
  await serverWorker.runUntil(
    agentWorker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(drillWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: `drill/4/${Math.random().toString(36).slice(2)}`,
        args: [{ runId: '0b9a3c1e-7d44-4a7f-9e0a-2d7c8a1b5f60', jobId: 4, agentScheduleToStartMs: 60_000, engineHeartbeatTimeoutMs: 2_000 }],
      });
      if (s.whileRunning) await s.whileRunning(handle, calls);
      result = await handle.result().catch((e: unknown) => {
        error = e;
        return undefined;
      });
    }),
  );
  return { calls, finish, error, result, probe };
}

describe('DrillWorkflow', () => {
  it('checks, restores the sample, drills each dump, cleans up, then records a pass with its evidence', async () => {
    const { calls, finish, result, probe } = await run({ plan: planOf() });
    expect(calls).toEqual([
      'prepareDrill',
      'checkDrillRepository:5%',
      'drillSampleFiles',
      'drillDatabase:backstop_drill_0b9a3c1e_0',
      'removeDrillScratch',
      'dropDrillDatabases:backstop_drill_0b9a3c1e_0',
      'finishDrill',
    ]);
    expect(probe).toBe('SELECT 1');
    expect(finish).toMatchObject({ status: 'succeeded', failureReason: null, warnings: [], snapshotId: SNAPSHOT });
    expect(finish!.details).toMatchObject({ snapshot: { id: SNAPSHOT }, integrity: { passed: true }, files: { filesChecked: 3 }, databases: [{ status: 'passed' }] });
    expect(result).toMatchObject({ status: 'succeeded', failureReason: null });
  });

  it('drills the directory-mode dumps the sample found too, each into its own scratch database', async () => {
    const { calls } = await run({
      plan: planOf(),
      sample: async () => ({ files: filesOf(), dumps: [{ configId: 8, path: '/data/agents/web-1/plugin-work/b-run/8/pg_dump/x.dump' }] }),
    });
    expect(calls.filter((c) => c.startsWith('drillDatabase') || c.startsWith('drop'))).toEqual([
      'drillDatabase:backstop_drill_0b9a3c1e_0',
      'drillDatabase:backstop_drill_0b9a3c1e_1',
      'dropDrillDatabases:backstop_drill_0b9a3c1e_0,backstop_drill_0b9a3c1e_1',
    ]);
  });

  it('fails a drill whose findings say so, naming them, after every step ran', async () => {
    const { calls, finish, error } = await run({
      plan: planOf(),
      sample: async () => ({ files: filesOf([{ path: '/srv/big.bin', reason: 'restic cannot read its content back' }]), dumps: [] }),
      database: dbOf('failed'),
    });
    // Findings are not errors: the workflow completes, the run is recorded failed.
    expect(error).toBeUndefined();
    expect(calls.slice(-3)).toEqual(['removeDrillScratch', 'dropDrillDatabases:backstop_drill_0b9a3c1e_0', 'finishDrill']);
    expect(finish).toMatchObject({ status: 'failed' });
    expect(finish!.failureReason).toBe(
      'restore drill failed: 1 of 3 sampled files did not come back intact: /srv/big.bin (restic cannot read its content back); ' +
        '1 of 1 database dumps did not restore: /backstop/pg_dump/config-7/app.dump (the dump does not restore: pg_restore failed)',
    );
  });

  it('removes the scratch space after a failed sample step, and records the failure', async () => {
    const { calls, finish, error } = await run({
      plan: planOf(),
      sample: async () => {
        throw ApplicationFailure.create({ message: 'restic ls: snapshot not found in the repository', type: ErrorType.notFound, nonRetryable: true });
      },
    });
    expect(error).toBeDefined();
    expect(calls).toEqual(['prepareDrill', 'checkDrillRepository:5%', 'drillSampleFiles', 'removeDrillScratch', 'finishDrill']);
    expect(finish).toMatchObject({ status: 'failed', failureReason: 'restic ls: snapshot not found in the repository' });
  });

  it('cancelled mid-sample: the sample stops first, then the scratch space goes, then the run is recorded cancelled', async () => {
    const { calls, finish } = await run({
      plan: planOf(),
      sample: async (seen) => {
        const ctx = Context.current();
        // Heartbeats carry the cancellation to the activity, as the real step's do while restic runs.
        for (;;) {
          ctx.heartbeat();
          if (ctx.cancellationSignal.aborted) {
            seen.push('sample stopped');
            throw ctx.cancellationSignal.reason;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      whileRunning: async (handle) => {
        await waitFor('the sample to start', async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'drillSampleFiles'), 60_000, 50);
        await handle.cancel();
      },
    });
    expect(calls).toEqual(['prepareDrill', 'checkDrillRepository:5%', 'drillSampleFiles', 'sample stopped', 'removeDrillScratch', 'finishDrill']);
    expect(finish).toMatchObject({ status: 'cancelled', failureReason: 'cancelled' });
  });

  it('restores a pull job\'s sample on the server worker', async () => {
    const { calls, finish } = await run({ plan: planOf({ job: { id: 4, name: 'srv', agentName: 'web-1', mode: 'pull' }, sample: { site: 'server', agentName: 'web-1' }, streams: [] }) });
    expect(calls).toEqual(['prepareDrill', 'checkDrillRepository:5%', 'drillSampleFiles', 'removeDrillScratch', 'finishDrill']);
    expect(finish).toMatchObject({ status: 'succeeded' });
  });

  it('fails a drill of a job without a snapshot, with nothing to clean up', async () => {
    const { calls, finish } = await run({ plan: planOf({ snapshot: null, streams: [] }) });
    expect(calls).toEqual(['prepareDrill', 'finishDrill']);
    expect(finish).toMatchObject({ status: 'failed', failureReason: 'restore drill failed: the job has no snapshot to drill yet', snapshotId: null });
  });
});
