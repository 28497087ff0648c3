// GuestRestoreWorkflow: a guest snapshot's disk back into an image file or over a block
// device, or the whole guest (every disk as `<disk>.raw`, its configuration files under
// `config/`) into a new directory, on the agent that made it or another (issue 19).
//
//   start ─▶ check target (agent) ─▶ [awaiting-approval ─▶ approve | reject | timeout]
//         ─▶ restore under the repository's shared lock (agent: restic dump straight into place)
//         ─▶ record ─▶ notify   (always)
//
// As the file restore (workflows/restore.ts), whose run kind, approval signals and server
// bookkeeping it shares: the target is checked before the run waits, so an operator only
// approves what the agent accepted. Writing over a block device is destructive and waits
// for approval under BACKSTOP_RESTORE_APPROVAL=destructive (the default); a new file or
// directory does not.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RunStatus } from '../contract/model';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { guestRestoreNeedsApproval } from '../contract/guest';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import { approvalGate } from './restore-approval';
import type { RestoreServerActivities, RestoreRunRef } from '../contract/restore-activities';
import type { GuestAgentActivities, GuestRestoreResult, GuestRestoreTarget } from '../contract/guest-activities';
import type { GuestRestoreWorkflowInput, GuestRestoreWorkflowResult } from '../contract/workflows';

const server = proxyActivities<RestoreServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function guestRestoreWorkflow(input: GuestRestoreWorkflowInput): Promise<GuestRestoreWorkflowResult> {
  const { workflowId } = workflowInfo();
  const ref: RestoreRunRef = { runId: input.runId, workflowId, jobId: input.snapshot.jobId, repositoryId: input.snapshot.repositoryId, agentName: input.agentName, engineSite: 'agent' };

  const approval = approvalGate();

  // A refused target (InputError) is final: retrying cannot make it allowed.
  const agent = proxyActivities<GuestAgentActivities>(agentStepOptions(input.agentName, input, [ErrorType.input]));
  const engine = proxyActivities<GuestAgentActivities>({ ...agentEngineOptions(input.agentName, input), retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5, nonRetryableErrorTypes: [ErrorType.input] } });

  let checked: GuestRestoreTarget | undefined;
  let needsApproval = input.requireApproval;

  const run = await runEnvelope({
    where: input.agentName,
    body: async (_plan: undefined, { step }): Promise<{ restored: GuestRestoreResult | null; rejection: string | null }> => {
      const plan = await server.startRestoreRun(ref);
      fillRunAttributes({ kind: 'restore', jobId: input.snapshot.jobId, agentName: input.agentName, repositoryId: plan.repository.id });
      step('check-target');
      const target = await agent.checkGuestRestoreTarget({ runId: input.runId, target: input.target, disk: input.disk });
      checked = target;
      needsApproval = guestRestoreNeedsApproval(input.approvalMode, input.requireApproval, target.kind);
      if (needsApproval) {
        await server.markRestoreAwaitingApproval(ref);
        step('awaiting-approval');
        const rejection = await approval.wait(input.approvalTimeoutMs);
        if (rejection) return { restored: null, rejection };
        await server.markRestoreRunning(ref);
      }
      step('restore');
      const repository = { id: plan.repository.id, url: plan.repository.url };
      // Shared lock: a prune may not delete the packs this restore is reading.
      const restored = await withRepositoryLock(plan.repository.id, 'shared', () =>
        engine.restoreGuestSnapshot({ runId: input.runId, workflowId, repository, snapshotId: input.snapshot.id, stageRoot: input.snapshot.paths[0] ?? '', disk: input.disk, target }),
      );
      return { restored, rejection: null };
    },

    judge: ({ rejection }) => (rejection !== null ? { status: 'cancelled', reason: rejection } : 'succeeded'),

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
          guest: {
            target: checked?.target ?? input.target,
            targetKind: checked?.kind ?? null,
            disk: input.disk,
            requireApproval: needsApproval,
            approval: approval.decision,
            frozenAt: result?.restored?.frozenAt ?? null,
            disks: result?.restored?.disks ?? [],
            configFiles: result?.restored?.configFiles ?? [],
          },
        },
      });
      await server.notifyRestore({ runId: input.runId, snapshotId: input.snapshot.id, agentName: input.agentName, status: finalStatus, failureReason: reason });
      return finalStatus;
    },
  });

  return { status: run.status, target: checked?.target ?? null, approval: approval.decision, warnings: run.warnings, failureReason: run.reason };
}
