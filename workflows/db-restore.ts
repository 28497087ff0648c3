// DbRestoreWorkflow: restores one dumped database from a snapshot into a named database on
// a chosen agent, through the plugin configuration that says how to reach the server. A new
// database by default; an existing one is replaced only with `overwrite`.
//
//   start ─▶ restorePluginItem (agent: restic dump │ pg_restore / mysql, shared lock) ─▶ record (always)
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { agentEngineOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { PluginActivities, PluginRunActivities } from '../contract/plugin-activities';
import type { DbRestoreWorkflowInput, DbRestoreWorkflowResult } from '../contract/workflows';

const server = proxyActivities<PluginRunActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function dbRestoreWorkflow(input: DbRestoreWorkflowInput): Promise<DbRestoreWorkflowResult> {
  const { workflowId } = workflowInfo();
  // A half-restored database is dropped and recreated by the retry's restoreInit only with
  // overwrite; without it a retry would refuse the database it just created: one attempt.
  const agent = proxyActivities<PluginActivities>({ ...agentEngineOptions(input.agentName, input), retry: { maximumAttempts: 1, nonRetryableErrorTypes: [ErrorType.input] } });

  const run = await runEnvelope({
    where: input.agentName,
    cancelledReason: 'error',

    body: async (_plan: undefined, { step }) => {
      fillRunAttributes({ kind: 'db-restore', agentName: input.agentName, repositoryId: input.repositoryId });
      const { repository } = await server.startPluginRun({ runId: input.runId, workflowId, kind: 'db-restore', agentName: input.agentName, repositoryId: input.repositoryId });
      await withRepositoryLock(
        input.repositoryId,
        'shared',
        async () => {
          step('db-restore');
          await agent.restorePluginItem({
            runId: input.runId,
            workflowId,
            configId: input.configId,
            repository: repository!,
            snapshotId: input.snapshotId,
            path: input.path,
            target: input.target,
            overwrite: input.overwrite,
          });
        },
        { onWaiting: () => step('waiting-for-lock') },
      );
    },

    finish: async (_plan, { status, reason }) => {
      await server.finishPluginRun({
        runId: input.runId,
        status,
        warnings: [],
        failureReason: reason,
        snapshotId: input.snapshotId,
        details: { configId: input.configId, path: input.path, target: input.target, overwrite: input.overwrite },
      });
    },
  });

  return { status: run.status, target: input.target, failureReason: null };
}
