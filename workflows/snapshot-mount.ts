// SnapshotMountWorkflow: keeps one snapshot mounted on the server worker (restic's own FUSE
// mount) until it is unmounted, idle for its TTL, or cancelled.
//
//   start ─▶ holdSnapshotMount (long activity, heartbeats; signals `starting`/`mounted`)
//         ─▶ wait for: unmount update | TTL since the last use | the activity failing for good
//         ─▶ cancel the activity (restic unmounts) ─▶ releaseSnapshotMount (always, non-cancellable)
//
// Use is an Update (`touchSnapshotMount`): GET/POST push the expiry forward and get the
// status back in one round trip, and may wait (bounded) for `mounted` — the API never
// sleeps to find out. The status is also a query, for a mount that has ended.
// A worker that dies mid-mount stops heartbeating: Temporal retries the activity on the
// next worker, which mounts again (state back to `starting`, then `mounted`).
// The lifecycle is workflows/mount-lifecycle.ts, shared with guest file mounts.
import { ActivityCancellationType, defineQuery, defineSignal, defineUpdate, proxyActivities } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { ErrorType } from '../contract/errors';
import { MountMessage, MountState, type MountActivities, type MountProgress, type SnapshotMountInput, type SnapshotMountStatus, type TouchMountInput, type UnmountInput } from '../contract/snapshot-mount';
import { runMountLifecycle } from './mount-lifecycle';

export const mountProgressSignal = defineSignal<[MountProgress]>(MountMessage.progress);
export const touchMountUpdate = defineUpdate<SnapshotMountStatus, [TouchMountInput]>(MountMessage.touch);
export const unmountUpdate = defineUpdate<SnapshotMountStatus, [UnmountInput]>(MountMessage.unmount);
export const mountStatusQuery = defineQuery<SnapshotMountStatus>(MountMessage.status);

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;

const release = proxyActivities<MountActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
}).releaseSnapshotMount;

export async function snapshotMountWorkflow(input: SnapshotMountInput): Promise<SnapshotMountStatus> {
  const hold = proxyActivities<MountActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    // A mount may be used (and so kept) for long; the heartbeat, not this, notices a dead worker.
    startToCloseTimeout: '30 days',
    heartbeatTimeout: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // The workflow's cleanup waits until restic has stopped (and so unmounted) on the worker.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: [ErrorType.notFound] },
  }).holdSnapshotMount;

  return runMountLifecycle<MountProgress, SnapshotMountStatus>({
    messages: { progress: mountProgressSignal, touch: touchMountUpdate, unmount: unmountUpdate, status: mountStatusQuery },
    ttlMs: input.ttlMs,
    status: (v) => ({
      mountId: input.mountId,
      snapshotId: input.snapshotId,
      state: v.state,
      path: v.state === MountState.mounted || v.state === MountState.unmounting ? (v.progress?.path ?? null) : null,
      expiresAt: v.expiresAt,
      startedAt: v.startedAt,
      attempts: v.attempts,
      endReason: v.endReason,
      failureReason: v.failureReason,
    }),
    hold: () => hold({ mountId: input.mountId, snapshotId: input.snapshotId, repositoryId: input.repositoryId }),
    release: () => release({ mountId: input.mountId }),
  });
}
