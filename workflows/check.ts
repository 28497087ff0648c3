// CheckWorkflow: the engine's check of one repository (restic check, borg check), on the
// server worker.
//
//   prepare ─▶ exclusive repository lock ─▶ check ─▶ release ─▶ record   (record: always)
//
// The lock is exclusive: borg check cannot run beside a writer at all, and a restic check
// beside a backup or a prune reports their half-written packs as damage. The run waits for
// them (phase `waiting-for-lock`) instead of failing on the engine's own lock.
//
// A damaged repository is not retried: the activity fails with RepositoryDamagedError (not
// retryable), so the run ends `failed` at once, its reason naming what the engine found.
// Other failures (I/O, a lost worker) are retried a few times, then fail the run.
import { ActivityCancellationType, defineQuery, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { MaintenanceActivities } from '../contract/prune-activities';
import type { CheckDetails, CheckPhase, CheckWorkflowInput, CheckWorkflowResult } from '../contract/workflows';

export const checkPhaseQuery = defineQuery<CheckPhase>('checkPhase');

const WORKER = 'server';

/** Attempts of the check step at most: an I/O hiccup gets a second chance, damage none. */
export const CHECK_MAX_ATTEMPTS = 3;

const catalog = proxyActivities<MaintenanceActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function checkWorkflow(started: CheckWorkflowInput): Promise<CheckWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  let phase: CheckPhase = 'preparing';
  setHandler(checkPhaseQuery, () => phase);
  const { workflowId } = workflowInfo();

  const engine = proxyActivities<MaintenanceActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: input.checkHeartbeatTimeoutMs ?? 60_000,
    // The lock must not be released while the engine still reads the repository.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: CHECK_MAX_ATTEMPTS },
  });

  const details: CheckDetails = { engine: null, durationSeconds: null };

  const run = await runEnvelope({
    where: WORKER,

    // Not cancellable: a check cancelled while queued is still recorded as cancelled below.
    prepare: async () => {
      const plan = await catalog.prepareCheck({ runId: input.runId, repositoryId: input.repositoryId, workflowId });
      fillRunAttributes({ kind: 'check', repositoryId: plan.repository.id });
      details.engine = plan.repository.engine;
      return plan;
    },

    body: async (plan, { step }) => {
      await withRepositoryLock(
        plan.repository.id,
        'exclusive',
        async () => {
          phase = 'checking';
          step('check');
          const outcome = await engine.checkRepository({ runId: input.runId, repositoryId: plan.repository.id });
          details.engine = outcome.engine;
          details.durationSeconds = outcome.durationSeconds;
        },
        {
          onWaiting: () => {
            phase = 'waiting-for-lock';
            step('waiting-for-lock');
          },
        },
      );
    },

    finish: async (_plan, { status, reason }, { step, warnings }) => {
      step('record');
      await catalog.finishMaintenanceRun({ runId: input.runId, status, warnings, failureReason: reason, details: { ...details } });
      phase = 'finished';
    },
  });

  return { status: run.status, details, failureReason: null };
}
