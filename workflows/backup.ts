// BackupWorkflow: one run of a backup job, durable across crashes of any process.
//
//   prepare ─▶ server pre script ─▶ snapshot create ─▶ engine backup (shared repository lock)
//           ─▶ snapshot release ─▶ agent post hook ─▶ record ─▶ notify   (cleanup: always)
//
// Cleanup runs in a non-cancellable scope, so a cancelled or failed run still releases its
// snapshot, runs its post hook and records its outcome.
import { CancellationScope, patched, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { AgentActivities, BackupStepResult } from '../activities/agent';
import type { ServerActivities } from '../activities/server';
import type { SnapshotHandle } from '../activities/snapshot/provider';
import type { BackupStats, RunStatus } from '../core/model';
import { ErrorType } from '../core/errors';
import { SERVER_TASK_QUEUE } from '../core/names';
import { failureReason, isCancelled } from './failure-reason';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes, recordOutcome, trackRunProgress } from './run-visibility';

export interface BackupWorkflowInput {
  /**
   * The catalog run id. A schedule's action has fixed arguments, so scheduled runs come
   * without one and the workflow draws its own (uuid4 is deterministic on replay and adds
   * no command); prepareBackup then inserts the run row.
   */
  runId?: string;
  jobId: number;
  /** How long an agent step may wait for its agent before the run fails as unreachable. */
  agentScheduleToStartMs?: number;
  /** The engine is presumed dead (and the step retried) after this long without a heartbeat. */
  engineHeartbeatTimeoutMs?: number;
}

export interface BackupWorkflowResult {
  status: RunStatus;
  snapshotId: string | null;
  stats: BackupStats | null;
  warnings: string[];
  failureReason: string | null;
}

const server = proxyActivities<ServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

const serverScripts = proxyActivities<ServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '15 minutes',
  // A script with side effects is not retried blindly: once more at most.
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [ErrorType.hook] },
});

export async function backupWorkflow(started: BackupWorkflowInput): Promise<BackupWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  const { workflowId } = workflowInfo();
  const step = trackRunProgress('preparing');
  // Not cancellable: a run cancelled while queued still gets its plan, so the cleanup below
  // records it as cancelled instead of leaving its row queued. (No new command: replays.)
  const plan = await CancellationScope.nonCancellable(() => server.prepareBackup({ runId: input.runId, jobId: input.jobId, workflowId }));
  fillRunAttributes({ kind: 'backup', jobId: plan.jobId, agentName: plan.agentName, repositoryId: plan.repository.id });

  const agent = proxyActivities<AgentActivities>(agentStepOptions(plan.agentName, input));
  const engine = proxyActivities<AgentActivities>(agentEngineOptions(plan.agentName, input));

  let handle: SnapshotHandle | undefined;
  let backup: BackupStepResult | undefined;
  let error: unknown;
  const warnings: string[] = [];

  try {
    if (plan.preScript) {
      step('pre-script');
      await serverScripts.runPreScript({ command: plan.preScript, runId: input.runId, plan });
    }
    step('snapshot');
    handle = await agent.createSnapshot({ runId: input.runId, mode: plan.snapshotMode, paths: plan.paths });
    warnings.push(...handle.warnings);
    // With a filesystem snapshot the engine reads the frozen copies at the original paths.
    const { readPaths, binds = [], excludes: snapshotExcludes = [] } = handle;
    const runEngine = () => {
      step('engine');
      return engine.runBackup({
        runId: input.runId,
        workflowId,
        jobId: plan.jobId,
        repository: { id: plan.repository.id, url: plan.repository.url },
        paths: readPaths,
        excludes: [...plan.excludes, ...snapshotExcludes],
        binds,
      });
    };
    // The shared repository lock keeps a prune out while restic writes; runs recorded
    // before the lock existed replay without it.
    backup = patched('repository-lock')
      ? await withRepositoryLock(plan.repository.id, 'shared', runEngine, { onWaiting: () => step('waiting-for-lock') })
      : await runEngine();
    warnings.push(...backup.unreadable.map((p) => `unreadable: ${p}`));
  } catch (err) {
    error = err;
  }

  const status: RunStatus = error ? (isCancelled(error) ? 'cancelled' : 'failed') : backup!.unreadable.length > 0 ? 'warning' : 'succeeded';
  const reason = error ? (status === 'cancelled' ? 'cancelled' : failureReason(error, plan.agentName)) : null;
  const snapshotId = backup?.snapshot.id ?? null;

  await CancellationScope.nonCancellable(async () => {
    if (handle) {
      step('snapshot-release');
      await agent.releaseSnapshot(handle).catch((e: unknown) => {
        warnings.push(`snapshot release failed: ${failureReason(e, plan.agentName)}`);
      });
    }
    if (plan.postHook) {
      step('post-hook');
      const hook = await agent
        .runPostHook({ command: plan.postHook, success: !error, runId: input.runId, jobId: plan.jobId, jobName: plan.jobName, snapshotId })
        .catch((e: unknown) => {
          warnings.push(`post hook failed: ${failureReason(e, plan.agentName)}`);
          return null;
        });
      if (hook && hook.exitCode !== 0) warnings.push(`post hook exited with code ${hook.exitCode}`);
    }
    step('record');
    if (backup) {
      await server.recordSnapshot({ runId: input.runId, jobId: plan.jobId, repositoryId: plan.repository.id, snapshot: backup.snapshot });
    }
    await server.finishRun({ runId: input.runId, status, snapshotId, stats: backup?.stats ?? null, warnings, failureReason: reason });
    await server.notify({ runId: input.runId, jobName: plan.jobName, status, snapshotId, failureReason: reason, warnings: warnings.length });
  });

  step('finished');
  recordOutcome(status);
  // The run record is written; now let Temporal show the run as failed or cancelled too.
  if (error) throw error;
  return { status, snapshotId, stats: backup?.stats ?? null, warnings, failureReason: reason };
}
