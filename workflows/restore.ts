// RestoreWorkflow: restore one snapshot (whole, or selected paths/globs) into a directory on
// a chosen agent — the one that made the backup or another (cross-host restore).
//
//   start ─▶ check target (on the target agent) ─▶ [awaiting-approval ─▶ approve | reject | timeout]
//         ─▶ restore under the repository's shared lock (heartbeats, verify) ─▶ post hook ─▶ record ─▶ notify   (cleanup: always)
//
// The target is checked before the run waits for approval, so an operator only ever approves
// a restore the agent has already accepted, and a refused target writes nothing.
//
// With `via: 'server'` the restore step is instead: the agent opens an import into the
// checked target → the server worker streams the snapshot into it over the mTLS channel (a
// tar archive GNU tar writes, activities/server/pull/server-restore.ts), so the agent never
// holds the repository's secret; the import is stopped in the cleanup, always.
// Only policies a plain re-run converges with (a new directory, `always`) go this way: the
// API refuses the others (their crash-resume plan needs the files where the engine runs).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RestoreSummary } from '../contract/engine';
import type { RunStatus } from '../contract/model';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { failureReason } from './failure-reason';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import { approvalGate } from './restore-approval';
import { serverEngineOnExport, throughExport } from './export-channel';
import type { ExportActivities } from '../contract/pull';
import type { RestoreAgentActivities, RestoreTargetResult, RestoreServerActivities, RestoreRunRef } from '../contract/restore-activities';
import type { RestoreWorkflowInput, RestoreWorkflowResult } from '../contract/workflows';

const server = proxyActivities<RestoreServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function restoreWorkflow(input: RestoreWorkflowInput): Promise<RestoreWorkflowResult> {
  const { workflowId } = workflowInfo();
  const ref: RestoreRunRef = {
    runId: input.runId,
    workflowId,
    jobId: input.snapshot.jobId,
    repositoryId: input.snapshot.repositoryId,
    agentName: input.agentName,
    engineSite: input.via ?? 'agent',
  };

  const approval = approvalGate();

  // A refused target (InputError) is final: retrying cannot make it allowed.
  const agent = proxyActivities<RestoreAgentActivities & ExportActivities>(agentStepOptions(input.agentName, input, [ErrorType.input]));
  const engine = proxyActivities<RestoreAgentActivities>(agentEngineOptions(input.agentName, input));

  let checked: RestoreTargetResult | undefined;
  let attempted = false;
  let exported = false;

  const run = await runEnvelope({
    where: input.agentName,
    // Starting the run is the body's first step: a refused start is a recorded failure.
    body: async (_plan: undefined, { step }): Promise<{ summary: RestoreSummary | null; rejection: string | null }> => {
      const plan = await server.startRestoreRun(ref);
      fillRunAttributes({ kind: 'restore', jobId: input.snapshot.jobId, agentName: input.agentName, repositoryId: plan.repository.id });
      step('check-target');
      const target = await agent.checkRestoreTarget({
        runId: input.runId,
        snapshotId: input.snapshot.id,
        snapshotPaths: input.snapshot.paths,
        target: input.target,
        include: input.include,
      });
      checked = target;
      if (input.requireApproval) {
        await server.markRestoreAwaitingApproval(ref);
        step('awaiting-approval');
        const rejection = await approval.wait(input.approvalTimeoutMs);
        if (rejection) return { summary: null, rejection };
        await server.markRestoreRunning(ref);
      }
      attempted = true;
      step('restore');
      const repository = { id: plan.repository.id, url: plan.repository.url };
      // Shared lock: a prune may not delete the packs this restore is reading.
      const summary = await withRepositoryLock(plan.repository.id, 'shared', (): Promise<RestoreSummary> => {
        if (input.via === 'server') {
          const server = serverEngineOnExport(input);
          return throughExport(
            (s) => step(s === 'engine' ? 'restore' : 'export'),
            () => {
              exported = true;
              return agent.startRestoreExport({ runId: input.runId, snapshotId: input.snapshot.id, target: target.target });
            },
            (endpoint) =>
              server.runServerRestore({
                runId: input.runId,
                workflowId,
                agentName: input.agentName,
                snapshotId: input.snapshot.id,
                repository,
                export: endpoint,
                target: target.target,
                include: target.include,
                overwrite: input.overwrite,
                verify: input.verify,
              }),
          );
        }
        return engine.runRestore({
          runId: input.runId,
          workflowId,
          snapshotId: input.snapshot.id,
          snapshotPaths: input.snapshot.paths,
          repository,
          target: target.target,
          include: target.include,
          overwrite: input.overwrite,
          verify: input.verify,
        });
      });
      return { summary, rejection: null };
    },

    // A rejected or unapproved restore ends cancelled, with the decision as its reason.
    judge: ({ rejection }) => (rejection !== null ? { status: 'cancelled', reason: rejection } : 'succeeded'),

    finish: async (_plan, { status, reason, result }, { step, warnings }) => {
      if (exported) {
        step('export-stop');
        await agent
          .stopExport({ runId: input.runId })
          .catch((e: unknown) => warnings.push(`export stop failed: ${failureReason(e, input.agentName)}`));
      }
      let hookExitCode: number | null = null;
      // Like a backup's post hook: whenever the restore was attempted, whatever its outcome.
      if (input.postHook && attempted) {
        step('restore-hook');
        const hook = await agent
          .runRestoreHook({ command: input.postHook, success: status === 'succeeded', runId: input.runId, snapshotId: input.snapshot.id, target: checked?.target ?? null })
          .catch((e: unknown) => {
            warnings.push(`post hook failed: ${failureReason(e, input.agentName)}`);
            return null;
          });
        hookExitCode = hook?.exitCode ?? null;
        if (hook && hook.exitCode !== 0) warnings.push(`post hook exited with code ${hook.exitCode}`);
      }
      const finalStatus: RunStatus = status === 'succeeded' && warnings.length > 0 ? 'warning' : status;
      const summary = result?.summary ?? null;
      step('record');
      await server.finishRestoreRun({
        runId: input.runId,
        status: finalStatus,
        snapshotId: input.snapshot.id,
        warnings,
        failureReason: reason,
        details: {
          target: checked?.target ?? input.target,
          targetExisted: checked?.existed ?? null,
          include: input.include,
          overwrite: input.overwrite,
          requireApproval: input.requireApproval,
          approval: approval.decision,
          summary,
          verification: summary ? (input.verify ? 'passed' : 'skipped') : null,
          via: input.via ?? 'agent',
          postHookExitCode: hookExitCode,
        },
      });
      await server.notifyRestore({ runId: input.runId, snapshotId: input.snapshot.id, agentName: input.agentName, status: finalStatus, failureReason: reason });
      return finalStatus;
    },
  });

  return {
    status: run.status,
    target: checked?.target ?? null,
    summary: run.result?.summary ?? null,
    approval: approval.decision,
    warnings: run.warnings,
    failureReason: run.reason,
  };
}
