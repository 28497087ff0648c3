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
import { ActivityCancellationType, CancellationScope, allHandlersFinished, condition, defineQuery, defineSignal, defineUpdate, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { ErrorType } from '../contract/errors';
import { MountMessage, MountState, expiryAfterUse, idleRemainingMs, type MountActivities, type MountEndReason, type MountProgress, type SnapshotMountInput, type SnapshotMountStatus, type TouchMountInput, type UnmountInput } from '../contract/snapshot-mount';
import { failureReason } from './failure-reason';

export const mountProgressSignal = defineSignal<[MountProgress]>(MountMessage.progress);
export const touchMountUpdate = defineUpdate<SnapshotMountStatus, [TouchMountInput]>(MountMessage.touch);
export const unmountUpdate = defineUpdate<SnapshotMountStatus, [UnmountInput]>(MountMessage.unmount);
export const mountStatusQuery = defineQuery<SnapshotMountStatus>(MountMessage.status);

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** An update waits at most this long for a state change before answering. */
const MAX_UPDATE_WAIT_MS = 5 * 60_000;

const release = proxyActivities<MountActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
}).releaseSnapshotMount;

export async function snapshotMountWorkflow(input: SnapshotMountInput): Promise<SnapshotMountStatus> {
  const startedAt = new Date().toISOString();
  let state: MountState = MountState.starting;
  let path: string | null = null;
  let attempts = 1;
  let expiresAt = Date.now() + input.ttlMs;
  let endReason: MountEndReason | null = null;
  let failure: string | null = null;
  let unmountAsked = false;
  // Bumped by every use, so the idle wait below starts over with the new expiry.
  let uses = 0;

  const status = (): SnapshotMountStatus => ({
    mountId: input.mountId,
    snapshotId: input.snapshotId,
    state,
    path: state === MountState.mounted || state === MountState.unmounting ? path : null,
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

  setHandler(mountProgressSignal, (p) => {
    // An older attempt's word arriving late changes nothing; nor does anything once unmounting.
    if (p.attempt < attempts || (state !== MountState.starting && state !== MountState.mounted)) return;
    attempts = p.attempt;
    state = p.state;
    path = p.path;
  });
  setHandler(mountStatusQuery, status);
  setHandler(touchMountUpdate, async (t) => {
    if (state === MountState.starting || state === MountState.mounted) {
      expiresAt = expiryAfterUse(expiresAt, Date.now(), input.ttlMs);
      uses++;
    }
    await waitBounded(() => state !== MountState.starting, t.waitMs);
    return status();
  });
  setHandler(unmountUpdate, async (u) => {
    unmountAsked = true;
    await waitBounded(() => state === MountState.ended, u.waitMs);
    return status();
  });

  const hold = proxyActivities<MountActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    // A mount may be used (and so kept) for long; the heartbeat, not this, notices a dead worker.
    startToCloseTimeout: '30 days',
    heartbeatTimeout: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // The workflow's cleanup waits until restic has stopped (and so unmounted) on the worker.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: [ErrorType.notFound] },
  }).holdSnapshotMount;

  const holding = new CancellationScope();
  let holdEnded = false;
  const held = holding
    .run(() => hold({ mountId: input.mountId, snapshotId: input.snapshotId, repositoryId: input.repositoryId }))
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
    // Idle means up and unused: the TTL counts from when the mount is up, not from the
    // request (restic may take long to load a large repository's index).
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
