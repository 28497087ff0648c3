// BackupWorkflow with library scripts and plugin configurations on the time-skipping test
// server, activities mocked: the documented execution order, overrides reaching the engine,
// every stream snapshot recorded, and a failed agent pre hook aborting with post steps still run.
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { LOCAL_ACTIVITY_CACHE, timeSkippingSuite } from './support/time-skipping';
import { backupWorkflow } from '../../workflows/backup';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { EngineSnapshot } from '../../contract/engine';
import type { AgentActivities, BackupStepInput, BackupStepResult, ServerActivities, ServerScriptActivities, BackupPlan, FinishRunInput, ServerScriptInput, ServerScriptResult } from '../../contract/backup-activities';
import type { PluginActivities, PluginBackupInput, PluginBackupResult, PluginCleanupInput } from '../../contract/plugin-activities';
import type { BackupWorkflowResult } from '../../contract/workflows';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

let nextRepositoryId = 100;

const snap = (id: string, paths: string[]): EngineSnapshot => ({ id: id.repeat(64), time: '2026-11-24T10:00:00Z', hostname: 'db1', paths, tags: [] });

interface Seen {
  calls: string[];
  engine?: BackupStepInput;
  dumps?: PluginBackupInput;
  cleanup?: PluginCleanupInput;
  postScript?: ServerScriptInput;
  recorded: string[];
  finish?: FinishRunInput;
}

async function scenario(opts: { preHookFails?: boolean }): Promise<{ seen: Seen; result?: BackupWorkflowResult; error?: unknown }> {
  const seen: Seen = { calls: [], recorded: [] };
  const note = (c: string) => seen.calls.push(c);
  const plan: BackupPlan = {
    jobId: 9,
    jobName: 'db',
    agentName: 'db1',
    repository: { id: nextRepositoryId++, name: 'main', url: '/srv/repo' },
    paths: ['/etc'],
    excludes: ['*.log'],
    snapshotMode: 'none',
    mode: 'push',
    preScript: 'echo legacy',
    postHook: 'echo legacy post',
    scripts: { pre: [{ id: 1, name: 'quiesce' }], post: [{ id: 2, name: 'report' }] },
    plugins: [
      { id: 11, name: 'hooks', plugin: 'shell_hook' },
      { id: 12, name: 'pg', plugin: 'pg_dump' },
    ],
  };
  const server = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    ...LOCAL_ACTIVITY_CACHE,
    activities: fakes<ServerActivities & ServerScriptActivities & LockActivities>({
      prepareBackup: async () => (note('prepare'), plan),
      runPreScript: async () => void note('job pre script'),
      runServerScript: async (i: ServerScriptInput): Promise<ServerScriptResult> => {
        note(`server ${i.phase} script ${i.scriptId}`);
        if (i.phase === 'post') seen.postScript = i;
        return { exitCode: 0, overrides: i.phase === 'pre' ? { tags: ['nightly'], label: 'v2', excludes: ['/etc/skip'] } : { tags: [], label: null, excludes: [] }, warnings: i.phase === 'pre' ? ['chatter'] : [] };
      },
      recordSnapshot: async (i: { snapshot: EngineSnapshot }) => {
        note('record');
        seen.recorded.push(i.snapshot.id.slice(0, 1));
      },
      finishRun: async (i: FinishRunInput) => {
        note('finish');
        seen.finish = i;
      },
      notify: async () => void note('notify'),
      ...suite.lockActivities(),
    }),
  });
  const agent = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue('db1'),
    activities: fakes<AgentActivities & PluginActivities>({
      pluginsBackupInit: async () => {
        note('agent pre hooks');
        if (opts.preHookFails) throw ApplicationFailure.nonRetryable('shell_hook pre script /opt/pre exited with code 3: the backup is aborted', ErrorType.hook);
      },
      pluginsBackup: async (i: PluginBackupInput): Promise<PluginBackupResult> => {
        note('dumps');
        seen.dumps = i;
        return { paths: ['/var/lib/backstop/plugin-work/r/12'], streams: [{ configId: 12, item: 'app', pseudoPath: '/backstop/pg/app.dump', snapshot: snap('b', ['/backstop/pg/app.dump']), adopted: false }] };
      },
      createSnapshot: async () => (note('snapshot create'), { mode: 'none', ref: 'none:r', readPaths: ['/etc'], warnings: [] }),
      runBackup: async (i: BackupStepInput): Promise<BackupStepResult> => {
        note('engine');
        seen.engine = i;
        return { snapshot: snap('a', ['/etc']), stats: null, unreadable: [], adopted: false };
      },
      releaseSnapshot: async () => void note('snapshot release'),
      pluginsBackupCleanup: async (i: PluginCleanupInput) => {
        note('agent post hooks');
        seen.cleanup = i;
        return { warnings: [] };
      },
      runPostHook: async () => (note('job post hook'), { exitCode: 0, output: [] }),
    }),
  });
  let result: BackupWorkflowResult | undefined;
  let error: unknown;
  await server.runUntil(
    agent.runUntil(async () => {
      result = await suite.env.client.workflow
        .execute(backupWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId: `backup/9/${Math.random().toString(36).slice(2)}`, args: [{ runId: 'run-p', jobId: 9, agentScheduleToStartMs: 60_000, engineHeartbeatTimeoutMs: 5_000 }] })
        .catch((e: unknown) => {
          error = e;
          return undefined;
        });
    }),
  );
  return { seen, result, error };
}

describe('BackupWorkflow with scripts and plugins', () => {
  it('runs every step in the documented order and records every snapshot', async () => {
    const { seen, result } = await scenario({});
    expect(seen.calls).toEqual([
      'prepare',
      'job pre script',
      'server pre script 1',
      'agent pre hooks',
      'dumps',
      'snapshot create',
      'engine',
      'snapshot release',
      'agent post hooks',
      'job post hook',
      'server post script 2',
      'record',
      'record',
      'finish',
      'notify',
    ]);
    // The pre script's overrides reach the dumps and the engine.
    expect(seen.dumps?.extraTags).toEqual(['nightly', 'backstop-label=v2']);
    expect(seen.engine).toMatchObject({
      paths: ['/etc', '/var/lib/backstop/plugin-work/r/12'],
      excludes: ['*.log', '/etc/skip'],
      extraTags: ['nightly', 'backstop-label=v2'],
    });
    // Workflows carry configuration ids, never their settings or secrets.
    expect(seen.dumps).toMatchObject({ configIds: [11, 12] });
    expect(seen.recorded).toEqual(['a', 'b']);
    expect(seen.cleanup).toMatchObject({ success: true, snapshotId: 'a'.repeat(64) });
    expect(seen.postScript?.outcome).toEqual({ success: true, status: 'succeeded', warnings: 1, snapshotId: 'a'.repeat(64) });
    expect(result).toMatchObject({ status: 'succeeded', streamSnapshotIds: ['b'.repeat(64)], warnings: ['pre script "quiesce": chatter'] });
  });

  it('aborts on a failed agent pre hook, and still runs the post hooks and post scripts', async () => {
    const { seen, error } = await scenario({ preHookFails: true });
    expect(error).toBeDefined();
    expect(seen.calls).toEqual(['prepare', 'job pre script', 'server pre script 1', 'agent pre hooks', 'agent post hooks', 'job post hook', 'server post script 2', 'finish', 'notify']);
    expect(seen.cleanup).toMatchObject({ success: false, snapshotId: null });
    expect(seen.postScript?.outcome).toMatchObject({ success: false, status: 'failed' });
    expect(seen.finish?.status).toBe('failed');
    expect(seen.finish?.failureReason).toContain('shell_hook pre script /opt/pre exited with code 3');
  });
});
