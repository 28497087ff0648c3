// S3SyncWorkflow: mirror a repository to its S3 sync target (the offsite copy), then
// verify the mirror and record the result. Runs on its own or as a child of a prune.
//
//   prepare ─▶ rclone sync (heartbeats bytes/objects) ─▶ verify (listing + sizes) ─▶ record   (record: always)
//
// It runs on the server worker, where repository maintenance runs: the server sees the
// repository as a local path. A crash mid-sync retries the sync step, and rclone skips
// every object already in the bucket, so the retry resumes rather than starts over.
// Sync and verify hold the repository's shared lock, so a prune cannot delete pack files
// under rclone's feet (nor between the sync and the comparison of listings).
import { ActivityCancellationType, ApplicationFailure, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { S3SyncActivities, S3SyncOutcome, S3SyncPlan, S3SyncVerification } from '../contract/sync-activities';
import type { S3SyncWorkflowInput, S3SyncWorkflowResult } from '../contract/workflows';

/** The failure type of a mirror that does not match the repository after a sync. */
export const VERIFICATION_FAILED = 'S3SyncVerificationError';

const catalog = proxyActivities<S3SyncActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function s3SyncWorkflow(started: S3SyncWorkflowInput): Promise<S3SyncWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  const { workflowId } = workflowInfo();
  let plan: S3SyncPlan | undefined;
  let sync: S3SyncOutcome | null = null;
  let verification: S3SyncVerification | null = null;

  const run = await runEnvelope({
    where: 'server',

    body: async (_plan: undefined, { step }) => {
      // Prepared in the body: a repository on S3, or one without a target, is recorded as a
      // failed run with its reason, not left running.
      plan = await catalog.prepareS3Sync({ runId: input.runId, repositoryId: input.repositoryId, workflowId });
      // A sync started by a prune (a child) starts without search attributes.
      fillRunAttributes({ kind: 's3-sync', repositoryId: input.repositoryId });
      const heartbeatTimeout = plan.heartbeatTimeoutMs;
      const long = proxyActivities<S3SyncActivities>({
        taskQueue: SERVER_TASK_QUEUE,
        startToCloseTimeout: '24 hours',
        heartbeatTimeout,
        // The run is not recorded as cancelled while rclone still writes to the bucket.
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
      });
      await withRepositoryLock(
        input.repositoryId,
        'shared',
        async () => {
          step('s3-sync');
          sync = await long.runS3Sync({ runId: input.runId, workflowId, repositoryId: input.repositoryId });
          step('verify');
          verification = await long.verifyS3Sync({ repositoryId: input.repositoryId });
        },
        { onWaiting: () => step('waiting-for-lock') },
      );
      const verified = verification as S3SyncVerification | null;
      if (!verified) throw ApplicationFailure.nonRetryable('S3 sync finished without a verification', VERIFICATION_FAILED);
      if (!verified.ok) throw ApplicationFailure.nonRetryable(verified.summary, VERIFICATION_FAILED);
    },

    finish: async (_plan, { status, reason }, { step }) => {
      step('record');
      await catalog.finishS3Sync({
        runId: input.runId,
        status,
        failureReason: reason,
        warnings: [],
        details: { target: plan?.target ?? null, sync, verification },
      });
    },
  });

  return { status: run.status, sync, verification, failureReason: run.reason };
}
