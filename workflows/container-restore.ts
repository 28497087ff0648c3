// ContainerRestoreWorkflow: a container snapshot's root filesystem and configuration back
// onto an agent (the one that made it or another), into a new directory under its restore
// roots: the root filesystem as a tree (`rootfs/`) or as one tar (`rootfs.tar`, what
// `pct restore` takes), the configuration files under `config/` (issue 19 item 3).
//
//   start ─▶ check target (agent) ─▶ restore under the repository's shared lock (agent)
//         ─▶ record ─▶ notify   (always)
//
// Its own workflow rather than a branch of restore.ts: the file restore's steps (planned
// writes, overwrite policies, resumable plans, server-side restores, approval of
// overwrites) do not apply to a new directory, and a tar is no restore of paths at all. It
// shares the file restore's run kind and server bookkeeping. It writes only into a new
// directory, so it overwrites nothing and waits for no approval.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RunStatus } from '../contract/model';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { RestoreServerActivities, RestoreRunRef } from '../contract/restore-activities';
import type { ContainerAgentActivities, ContainerRestoreResult, ContainerRestoreTarget } from '../contract/container-activities';
import type { ContainerRestoreWorkflowInput, ContainerRestoreWorkflowResult } from '../contract/workflows';

const server = proxyActivities<RestoreServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function containerRestoreWorkflow(input: ContainerRestoreWorkflowInput): Promise<ContainerRestoreWorkflowResult> {
  const { workflowId } = workflowInfo();
  const ref: RestoreRunRef = { runId: input.runId, workflowId, jobId: input.snapshot.jobId, repositoryId: input.snapshot.repositoryId, agentName: input.agentName, engineSite: 'agent' };

  // A refused target (InputError) is final: retrying cannot make it allowed.
  const agent = proxyActivities<ContainerAgentActivities>(agentStepOptions(input.agentName, input, [ErrorType.input]));
  const engine = proxyActivities<ContainerAgentActivities>({ ...agentEngineOptions(input.agentName, input), retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5, nonRetryableErrorTypes: [ErrorType.input] } });

  let checked: ContainerRestoreTarget | undefined;

  const run = await runEnvelope({
    where: input.agentName,
    body: async (_plan: undefined, { step }): Promise<ContainerRestoreResult> => {
      const plan = await server.startRestoreRun(ref);
      fillRunAttributes({ kind: 'restore', jobId: input.snapshot.jobId, agentName: input.agentName, repositoryId: plan.repository.id });
      step('check-target');
      checked = await agent.checkContainerRestoreTarget({ runId: input.runId, target: input.target, format: input.format });
      step('restore');
      const repository = { id: plan.repository.id, url: plan.repository.url };
      const target = checked;
      // Shared lock: a prune may not delete the packs this restore is reading.
      return withRepositoryLock(plan.repository.id, 'shared', () =>
        engine.restoreContainerSnapshot({ runId: input.runId, workflowId, repository, snapshotId: input.snapshot.id, container: input.container, target }),
      );
    },

    judge: () => 'succeeded',

    finish: async (_plan, { status, reason, result }, { step, warnings }) => {
      const finalStatus: RunStatus = status === 'succeeded' && warnings.length > 0 ? 'warning' : status;
      step('record');
      await server.finishRestoreRun({
        runId: input.runId,
        status: finalStatus,
        snapshotId: input.snapshot.id,
        warnings,
        failureReason: reason,
        details: {
          container: {
            name: input.container.name,
            format: input.format,
            target: checked?.target ?? input.target,
            rootfs: result?.rootfs ?? null,
            configFiles: result?.configFiles ?? [],
            members: result?.members ?? null,
            bytesWritten: result?.bytesWritten ?? null,
          },
        },
      });
      await server.notifyRestore({ runId: input.runId, snapshotId: input.snapshot.id, agentName: input.agentName, status: finalStatus, failureReason: reason });
      return finalStatus;
    },
  });

  return { status: run.status, target: checked?.target ?? null, warnings: run.warnings, failureReason: run.reason };
}
