// PluginTestWorkflow and DbRestoreWorkflow on the time-skipping test server, activities
// mocked: a failed check becomes the run's reason in words; a database restore takes the
// repository's shared lock, records its outcome, and records a failure too.
import { fakes } from './support/fakes';
import type { LockActivities } from '../../contract/repository-lock';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { timeSkippingSuite } from './support/time-skipping';
import { pluginTestWorkflow } from '../../workflows/plugin-test';
import { dbRestoreWorkflow } from '../../workflows/db-restore';
import type { PluginTestReport } from '../../contract/plugin-api';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { PluginRunActivities, FinishPluginRunInput, PluginRestoreInput } from '../../contract/plugin-activities';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

async function withWorkers<T>(agentActivities: Record<string, (...args: never[]) => Promise<unknown>>, fn: (finished: FinishPluginRunInput[], calls: string[]) => Promise<T>): Promise<{ value: T; finished: FinishPluginRunInput[]; calls: string[] }> {
  const finished: FinishPluginRunInput[] = [];
  const calls: string[] = [];
  const server = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    maxCachedWorkflows: 0,
    activities: fakes<PluginRunActivities & LockActivities>({
      startPluginRun: async () => (calls.push('start'), { repository: { id: 5, url: '/srv/repo' } }),
      finishPluginRun: async (i: FinishPluginRunInput) => {
        calls.push('finish');
        finished.push(i);
      },
      ...suite.lockActivities(),
    }),
  });
  const agent = await Worker.create({ connection: suite.env.nativeConnection, taskQueue: agentTaskQueue('db1'), activities: agentActivities });
  let value: T | undefined;
  await server.runUntil(agent.runUntil(async () => void (value = await fn(finished, calls))));
  return { value: value as T, finished, calls };
}

const id = () => Math.random().toString(36).slice(2);

describe('PluginTestWorkflow', () => {
  it('fails with the failed checks as its reason, and keeps every check in the details', async () => {
    const report: PluginTestReport = {
      ok: false,
      checks: [
        { name: 'connect', ok: false, detail: 'psql: authentication failed (FATAL:  password authentication failed for user "app")' },
      ],
    };
    const { value, finished } = await withWorkers({ testPluginConfig: async () => report }, () =>
      suite.env.client.workflow.execute(pluginTestWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId: `plugin-test/${id()}`, args: [{ runId: 'r-test', agentName: 'db1', configId: 3 }] }),
    );
    expect(value.status).toBe('failed');
    expect(finished[0]).toMatchObject({
      status: 'failed',
      failureReason: 'connect: psql: authentication failed (FATAL:  password authentication failed for user "app")',
      details: { configId: 3, checks: report.checks },
    });
  });

  it('succeeds when every check passed', async () => {
    const { value } = await withWorkers({ testPluginConfig: async () => ({ ok: true, checks: [{ name: 'connect', ok: true, detail: 'connected' }] }) }, () =>
      suite.env.client.workflow.execute(pluginTestWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId: `plugin-test/${id()}`, args: [{ runId: 'r-ok', agentName: 'db1', configId: 3 }] }),
    );
    expect(value).toMatchObject({ status: 'succeeded', failureReason: null });
  });
});

describe('DbRestoreWorkflow', () => {
  it('restores under the shared repository lock and records the target', async () => {
    let seen: PluginRestoreInput | undefined;
    const { value, finished, calls } = await withWorkers(
      {
        restorePluginItem: async (i: PluginRestoreInput) => {
          seen = i;
          return { target: i.target };
        },
      },
      () =>
        suite.env.client.workflow.execute(dbRestoreWorkflow, {
          taskQueue: SERVER_TASK_QUEUE,
          workflowId: `db-restore/${id()}`,
          args: [{ runId: 'r-db', agentName: 'db1', configId: 3, repositoryId: 5, snapshotId: 'a'.repeat(64), path: '/backstop/pg_dump/config-3/app.dump', target: 'app_copy', overwrite: false }],
        }),
    );
    expect(value.status).toBe('succeeded');
    expect(seen).toMatchObject({ repository: { id: 5, url: '/srv/repo' }, target: 'app_copy', overwrite: false, path: '/backstop/pg_dump/config-3/app.dump' });
    expect(calls).toEqual(['start', 'finish']);
    expect(finished[0]).toMatchObject({ status: 'succeeded', details: { target: 'app_copy', overwrite: false } });
  });

  it('records a refused restore as failed, with the reason, without retrying it', async () => {
    let attempts = 0;
    const { finished } = await withWorkers(
      {
        restorePluginItem: async () => {
          attempts++;
          throw ApplicationFailure.nonRetryable('database "app" already exists: choose a new name, or ask to overwrite it explicitly', ErrorType.input);
        },
      },
      () =>
        suite.env.client.workflow
          .execute(dbRestoreWorkflow, {
            taskQueue: SERVER_TASK_QUEUE,
            workflowId: `db-restore/${id()}`,
            args: [{ runId: 'r-db2', agentName: 'db1', configId: 3, repositoryId: 6, snapshotId: 'a'.repeat(64), path: '/p', target: 'app', overwrite: false }],
          })
          .catch((e: unknown) => e),
    );
    expect(attempts).toBe(1);
    expect(finished[0]).toMatchObject({ status: 'failed' });
    expect(finished[0]!.failureReason).toContain('database "app" already exists');
  });
});
