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
// As SnapshotMountWorkflow (workflows/snapshot-mount.ts), whose TTL rules it shares
// (contract/snapshot-mount.ts): use is an Update (touch) that pushes the expiry forward and
// answers the status, the status is also a query for a mount that has ended. The repository
// lock is held while the disk is read from the repository only, not while it is mounted.
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, allHandlersFinished, condition, defineQuery, defineSignal, defineUpdate, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { ErrorType } from '../contract/errors';
import { expiryAfterUse, idleRemainingMs, type TouchMountInput, type UnmountInput } from '../contract/snapshot-mount';
import { GuestFileMountMessage, MountState, SCRATCH_IMAGE_MISSING, type GuestFileMountActivities, type GuestFileMountInput, type GuestFileMountProgress, type GuestFileMountStatus, type GuestFilesystem, type MountEndReason } from '../contract/guest-file-mount';
import { failureReason } from './failure-reason';
import { withRepositoryLock } from './with-repository-lock';

export const guestFileMountProgressSignal = defineSignal<[GuestFileMountProgress]>(GuestFileMountMessage.progress);
export const touchGuestFileMountUpdate = defineUpdate<GuestFileMountStatus, [TouchMountInput]>(GuestFileMountMessage.touch);
export const unmountGuestFileMountUpdate = defineUpdate<GuestFileMountStatus, [UnmountInput]>(GuestFileMountMessage.unmount);
export const guestFileMountStatusQuery = defineQuery<GuestFileMountStatus>(GuestFileMountMessage.status);

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** An update waits at most this long for a state change before answering. */
const MAX_UPDATE_WAIT_MS = 5 * 60_000;
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
  const startedAt = new Date().toISOString();
  let state: MountState = MountState.starting;
  let filesystems: GuestFilesystem[] = [];
  let attempts = 1;
  // Attempts of the holding activity before the current one (each restore starts it anew).
  let attemptBase = 0;
  let expiresAt = Date.now() + input.ttlMs;
  let endReason: MountEndReason | null = null;
  let failure: string | null = null;
  let unmountAsked = false;
  // Bumped by every use, so the idle wait below starts over with the new expiry.
  let uses = 0;

  const status = (): GuestFileMountStatus => ({
    mountId: input.mountId,
    snapshotId: input.snapshotId,
    disk: input.disk,
    state,
    filesystems: state === MountState.mounted || state === MountState.unmounting ? filesystems : [],
    expiresAt: new Date(expiresAt).toISOString(),
    startedAt,
    attempts,
    endReason,
    failureReason: failure,
  });
  const waitBounded = async (done: () => boolean, waitMs: number | undefined) => {
    const ms = Math.min(Math.max(0, waitMs ?? 0), MAX_UPDATE_WAIT_MS);
    if (ms > 0 && !done()) await condition(done, ms);
  };

  setHandler(guestFileMountProgressSignal, (p) => {
    // An older attempt's word arriving late changes nothing; nor does anything once unmounting.
    const attempt = attemptBase + p.attempt;
    if (attempt < attempts || (state !== MountState.starting && state !== MountState.mounted)) return;
    attempts = attempt;
    state = p.state;
    filesystems = p.filesystems;
  });
  setHandler(guestFileMountStatusQuery, status);
  setHandler(touchGuestFileMountUpdate, async (t) => {
    if (state === MountState.starting || state === MountState.mounted) {
      expiresAt = expiryAfterUse(expiresAt, Date.now(), input.ttlMs);
      uses++;
    }
    await waitBounded(() => state !== MountState.starting, t.waitMs);
    return status();
  });
  setHandler(unmountGuestFileMountUpdate, async (u) => {
    unmountAsked = true;
    await waitBounded(() => state === MountState.ended, u.waitMs);
    return status();
  });

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

  const mountOnce = async () => {
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
        attemptBase = attempts;
        attempts++;
        state = MountState.starting;
        filesystems = [];
      }
    }
  };

  const holding = new CancellationScope();
  let holdEnded = false;
  const held = holding
    .run(mountOnce)
    .then(
      () => undefined,
      (err: unknown) => {
        if (!isCancellation(err)) failure = failureReason(err, 'the server worker');
      },
    )
    .finally(() => {
      holdEnded = true;
    });

  try {
    // Idle means up and unused: the TTL counts from when the disk is mounted, not from the
    // request (restoring a large disk takes long).
    await condition(() => state !== MountState.starting || unmountAsked || holdEnded);
    if ((state as MountState) === MountState.mounted) expiresAt = expiryAfterUse(expiresAt, Date.now(), input.ttlMs);
    for (;;) {
      const seen = uses;
      const remaining = idleRemainingMs(expiresAt, Date.now());
      if (remaining === 0) {
        endReason = 'expired';
        break;
      }
      await condition(() => unmountAsked || holdEnded || uses !== seen, remaining);
      if (unmountAsked) {
        endReason = 'unmounted';
        break;
      }
      if (holdEnded) {
        endReason = 'failed';
        failure ??= 'the mount ended on its own';
        break;
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    endReason = 'cancelled';
  } finally {
    state = MountState.unmounting;
    await CancellationScope.nonCancellable(async () => {
      holding.cancel();
      await held;
      await release({ mountId: input.mountId });
    });
    state = MountState.ended;
  }
  // Updates waiting for `ended` answer before the run closes.
  await condition(allHandlersFinished);
  return status();
}
