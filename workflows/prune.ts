// PruneWorkflow: retention and prune of one repository, on the server worker.
//
//   prepare ─▶ exclusive repository lock ─▶ forget (per job policy) ─▶ prune
//           ─▶ catalog sync ─▶ release ─▶ post-prune script ─▶ S3 sync (child, if configured)
//           ─▶ record   (cleanup: always)
//
// The exclusive lock (workflows/repository-lock.ts) makes the prune wait for running
// backups instead of failing on restic's own lock; the run stays `running` meanwhile and
// its phase query says `waiting-for-lock`. The catalog is synced whenever a forget may
// have removed snapshots, also when a later step failed.
import { ActivityCancellationType, CancellationScope, ParentClosePolicy, defineQuery, executeChild, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { RunStatus } from '../contract/model';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE, WorkflowKind, workflowIdForRepository } from '../contract/names';
import { failureReason } from './failure-reason';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { MaintenanceActivities } from '../contract/prune-activities';
import { Workflows, type WorkflowFunction, type PruneDetails, type PrunePhase, type PruneWorkflowInput, type PruneWorkflowResult } from '../contract/workflows';

export const prunePhaseQuery = defineQuery<PrunePhase>('prunePhase');

const WORKER = 'server';

const catalog = proxyActivities<MaintenanceActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

const scripts = proxyActivities<MaintenanceActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '15 minutes',
  // A script with side effects is not retried blindly: once more at most.
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [ErrorType.hook] },
});

export async function pruneWorkflow(started: PruneWorkflowInput): Promise<PruneWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  let phase: PrunePhase = 'preparing';
  setHandler(prunePhaseQuery, () => phase);
  const { workflowId } = workflowInfo();

  const restic = proxyActivities<MaintenanceActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: input.pruneHeartbeatTimeoutMs ?? 60_000,
    // The lock must not be released while restic still works on the repository.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
  });

  const details: PruneDetails = { jobs: [], prune: null, catalog: null, postPruneScript: null };

  const run = await runEnvelope({
    where: WORKER,

    // Not cancellable: a prune cancelled while queued is still recorded as cancelled below.
    prepare: async () => {
      const plan = await catalog.preparePrune({ runId: input.runId, repositoryId: input.repositoryId, workflowId });
      fillRunAttributes({ kind: 'prune', repositoryId: plan.repository.id });
      return plan;
    },

    body: async (plan, { step, warnings }) => {
      await withRepositoryLock(
        plan.repository.id,
        'exclusive',
        async () => {
          try {
            phase = 'forgetting';
            step('forget');
            for (const job of plan.jobs) {
              const r = await restic.forgetJobSnapshots({ runId: input.runId, repositoryId: plan.repository.id, jobId: job.id, policy: job.retention });
              details.jobs.push({ ...r, jobName: job.name });
            }
            phase = 'pruning';
            step('prune');
            details.prune = await restic.pruneRepository({ runId: input.runId, repositoryId: plan.repository.id });
          } finally {
            // Still under the lock, so no backup adds a snapshot while the lists are compared.
            phase = 'syncing-catalog';
            step('catalog-sync');
            await CancellationScope.nonCancellable(async () => {
              details.catalog = await restic.syncCatalogSnapshots({ repositoryId: plan.repository.id }).catch((e: unknown) => {
                warnings.push(`catalog sync failed: ${failureReason(e, WORKER)}`);
                return null;
              });
            });
          }
        },
        {
          onWaiting: () => {
            phase = 'waiting-for-lock';
            step('waiting-for-lock');
          },
        },
      );
    },

    judge: (_result, { warnings }) => (warnings.length > 0 ? 'warning' : 'succeeded'),

    finish: async (plan, { status, reason, error }, { step, warnings }) => {
      if (plan.postPruneScript) {
        phase = 'post-script';
        step('post-prune-script');
        const r = await scripts
          .runPostPruneScript({ command: plan.postPruneScript, runId: input.runId, repositoryId: plan.repository.id, repositoryName: plan.repository.name, success: !error })
          .catch((e: unknown) => {
            warnings.push(`post-prune script failed: ${failureReason(e, WORKER)}`);
            return null;
          });
        details.postPruneScript = r ? { exitCode: r.exitCode } : null;
        if (r && r.exitCode !== 0) warnings.push(`post-prune script exited with code ${r.exitCode}`);
      }
      // After the exclusive lock is gone: the sync takes the shared lock itself. A failed
      // sync does not undo a good prune; it makes the prune a warning run that names it.
      if (!error && plan.s3Sync) {
        phase = 's3-sync';
        step('s3-sync');
        const syncRunId = uuid4();
        const syncWorkflowId = workflowIdForRepository(WorkflowKind.s3Sync, plan.repository.id, new Date());
        details.s3Sync = await executeChild<WorkflowFunction<typeof Workflows.s3Sync>>(Workflows.s3Sync.type, {
          workflowId: syncWorkflowId,
          taskQueue: SERVER_TASK_QUEUE,
          args: [{ runId: syncRunId, repositoryId: plan.repository.id }],
          // The sync is a run of its own: it finishes even if the prune is terminated.
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }).then(
          (r) => ({ runId: syncRunId, workflowId: syncWorkflowId, status: r.status, failureReason: r.failureReason }),
          (e: unknown) => {
            warnings.push(`S3 sync after prune failed: ${failureReason(e, WORKER)}`);
            return { runId: syncRunId, workflowId: syncWorkflowId, status: 'failed' as RunStatus, failureReason: failureReason(e, WORKER) };
          },
        );
      }
      const finalStatus: RunStatus = status === 'succeeded' && warnings.length > 0 ? 'warning' : status;
      step('record');
      await catalog.finishMaintenanceRun({ runId: input.runId, status: finalStatus, warnings, failureReason: reason, details: { ...details } });
      phase = 'finished';
      return finalStatus;
    },
  });

  return { status: run.warnings.length > 0 ? 'warning' : 'succeeded', details, warnings: run.warnings, failureReason: null };
}
