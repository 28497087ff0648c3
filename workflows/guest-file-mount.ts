// GuestFileMountWorkflow: keeps one guest snapshot's disk mounted on the server worker
// (scratch image, read-only loop devices, read-only filesystems) until it is unmounted, idle
// for its TTL, or cancelled (issue 19, item 2).
//
//   start ─▶ ┌ restoreGuestScratchImage (under the repository's shared lock, heartbeats bytes)
//            └ holdGuestFileMount (long activity, heartbeats; signals `starting`/`mounted`)
//              ↻ again from the restore when a restarted worker swept the scratch image
//         ─▶ wait for: unmount update | TTL since the last use | the mount failing for good
//         ─▶ cancel (unmount, detach) ─▶ releaseGuestFileMount (always, non-cancellable:
//            unmount, detach, delete the scratch image)
//
// The lifecycle is SnapshotMountWorkflow's (workflows/mount-lifecycle.ts): use is an Update
// (touch) that pushes the expiry forward and answers the status; the status is also a query,
// for a mount that has ended. The repository lock is held while the disk is read from the
// repository only, not while it is mounted.
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, defineQuery, defineSignal, defineUpdate, proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { ErrorType } from '../contract/errors';
import type { TouchMountInput, UnmountInput } from '../contract/snapshot-mount';
import { GuestFileMountMessage, MountState, SCRATCH_IMAGE_MISSING, type GuestFileMountActivities, type GuestFileMountInput, type GuestFileMountProgress, type GuestFileMountStatus } from '../contract/guest-file-mount';
import { runMountLifecycle } from './mount-lifecycle';
import { withRepositoryLock } from './with-repository-lock';

export const guestFileMountProgressSignal = defineSignal<[GuestFileMountProgress]>(GuestFileMountMessage.progress);
export const touchGuestFileMountUpdate = defineUpdate<GuestFileMountStatus, [TouchMountInput]>(GuestFileMountMessage.touch);
export const unmountGuestFileMountUpdate = defineUpdate<GuestFileMountStatus, [UnmountInput]>(GuestFileMountMessage.unmount);
export const guestFileMountStatusQuery = defineQuery<GuestFileMountStatus>(GuestFileMountMessage.status);

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** A worker restart sweeps the scratch image; more restores than this in one mount is a loop, not bad luck. */
const MAX_RESTORES = 5;

const release = proxyActivities<GuestFileMountActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
}).releaseGuestFileMount;

const scratchImageMissing = (err: unknown) => err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === SCRATCH_IMAGE_MISSING;

export async function guestFileMountWorkflow(input: GuestFileMountInput): Promise<GuestFileMountStatus> {
  const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: [ErrorType.notFound, ErrorType.input] };
  const heartbeatTimeout = input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const { restoreGuestScratchImage } = proxyActivities<GuestFileMountActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    // A large disk takes long to restore; the heartbeat (bytes written), not this, notices a dead worker.
    startToCloseTimeout: '1 day',
    heartbeatTimeout,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 5 },
  });
  const { holdGuestFileMount } = proxyActivities<GuestFileMountActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    // A mount may be used (and so kept) for long; the heartbeat, not this, notices a dead worker.
    startToCloseTimeout: '30 days',
    heartbeatTimeout,
    // The workflow's cleanup waits until the filesystems are unmounted on the worker.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry,
  });

  const hold = async ({ restart }: { restart(): void }) => {
    for (let restores = 1; ; restores++) {
      // Shared lock while the repository is read: a prune may not delete the packs being read.
      await withRepositoryLock(input.repositoryId, 'shared', () =>
        restoreGuestScratchImage({ mountId: input.mountId, snapshotId: input.snapshotId, repositoryId: input.repositoryId, stageRoot: input.stageRoot, disk: input.disk }),
      );
      try {
        await holdGuestFileMount({ mountId: input.mountId, disk: input.disk });
        return;
      } catch (err) {
        if (!scratchImageMissing(err) || restores >= MAX_RESTORES) throw err;
        // A restarted worker swept the image: restore it again, then mount again (a new attempt).
        restart();
      }
    }
  };

  return runMountLifecycle<GuestFileMountProgress, GuestFileMountStatus>({
    messages: { progress: guestFileMountProgressSignal, touch: touchGuestFileMountUpdate, unmount: unmountGuestFileMountUpdate, status: guestFileMountStatusQuery },
    ttlMs: input.ttlMs,
    status: (v) => ({
      mountId: input.mountId,
      snapshotId: input.snapshotId,
      disk: input.disk,
      state: v.state,
      filesystems: v.state === MountState.mounted || v.state === MountState.unmounting ? (v.progress?.filesystems ?? []) : [],
      expiresAt: v.expiresAt,
      startedAt: v.startedAt,
      attempts: v.attempts,
      endReason: v.endReason,
      failureReason: v.failureReason,
    }),
    hold,
    release: () => release({ mountId: input.mountId }),
  });
}
