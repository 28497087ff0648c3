// The lifecycle both mount workflows share (SnapshotMountWorkflow, GuestFileMountWorkflow):
//
//   hold (a cancellable scope: the caller's long activity or activities, which signal
//         `starting`/`mounted` progress)
//   ─▶ wait for: the unmount update | TTL since the last use | the hold ending on its own
//   ─▶ cancel the hold ─▶ release (always, non-cancellable)
//
// Use is an Update (touch): it pushes the expiry forward and answers the status, and may wait
// (bounded) for the mount to leave `starting`. The status is also a query, for a mount that
// has ended. Each workflow brings its message definitions, its status shape and its steps.
// The workflow commands (the hold's, the idle timers, the release) come in the order the
// snapshot mount always issued them: its recorded histories replay (test/workflow/histories).
import { CancellationScope, allHandlersFinished, condition, isCancellation, setHandler } from '@temporalio/workflow';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { MountState, expiryAfterUse, idleRemainingMs, type MountEndReason, type TouchMountInput, type UnmountInput } from '../contract/snapshot-mount';
import { failureReason } from './failure-reason';

/** An update waits at most this long for a state change before answering. */
const MAX_UPDATE_WAIT_MS = 5 * 60_000;

/** An update's wait for `done`: as long as it asked (none: not at all), at most MAX_UPDATE_WAIT_MS. */
export async function waitBounded(done: () => boolean, waitMs: number | undefined): Promise<void> {
  const ms = Math.min(Math.max(0, waitMs ?? 0), MAX_UPDATE_WAIT_MS);
  if (ms > 0 && !done()) await condition(done, ms);
}

/** What a holding activity signals: its attempt, and whether it is up yet. */
export interface MountProgressLike {
  attempt: number;
  state: 'starting' | 'mounted';
}

/** The fields every mount's status has, as the lifecycle keeps them. */
export interface MountLifecycleView<P> {
  state: MountState;
  /** The current attempt's last progress (null before it said anything). */
  progress: P | null;
  expiresAt: string;
  startedAt: string;
  attempts: number;
  endReason: MountEndReason | null;
  failureReason: string | null;
}

export interface MountLifecycle<P extends MountProgressLike, S> {
  messages: {
    progress: SignalDefinition<[P]>;
    touch: UpdateDefinition<S, [TouchMountInput]>;
    unmount: UpdateDefinition<S, [UnmountInput]>;
    status: QueryDefinition<S>;
  };
  ttlMs: number;
  status(view: MountLifecycleView<P>): S;
  /**
   * Mounts and holds the mount until cancelled (run in a cancellable scope). `restart()` starts
   * a new attempt from the workflow's side: its activities' attempt numbers count from 1 again.
   */
  hold(control: { restart(): void }): Promise<void>;
  /** Takes down whatever the hold left; idempotent. */
  release(): Promise<void>;
}

export async function runMountLifecycle<P extends MountProgressLike, S>(m: MountLifecycle<P, S>): Promise<S> {
  const startedAt = new Date().toISOString();
  let state: MountState = MountState.starting;
  let progress: P | null = null;
  let attempts = 1;
  // Attempts before the current activity's own count (each restart() begins a new one).
  let attemptBase = 0;
  let expiresAt = Date.now() + m.ttlMs;
  let endReason: MountEndReason | null = null;
  let failure: string | null = null;
  let unmountAsked = false;
  // Bumped by every use, so the idle wait below starts over with the new expiry.
  let uses = 0;

  const status = (): S => m.status({ state, progress, expiresAt: new Date(expiresAt).toISOString(), startedAt, attempts, endReason, failureReason: failure });

  setHandler(m.messages.progress, (p) => {
    // An older attempt's word arriving late changes nothing; nor does anything once unmounting.
    const attempt = attemptBase + p.attempt;
    if (attempt < attempts || (state !== MountState.starting && state !== MountState.mounted)) return;
    attempts = attempt;
    state = p.state;
    progress = p;
  });
  setHandler(m.messages.status, status);
  setHandler(m.messages.touch, async (t) => {
    if (state === MountState.starting || state === MountState.mounted) {
      expiresAt = expiryAfterUse(expiresAt, Date.now(), m.ttlMs);
      uses++;
    }
    await waitBounded(() => state !== MountState.starting, t.waitMs);
    return status();
  });
  setHandler(m.messages.unmount, async (u) => {
    unmountAsked = true;
    await waitBounded(() => state === MountState.ended, u.waitMs);
    return status();
  });

  const restart = () => {
    if (state !== MountState.starting && state !== MountState.mounted) return;
    attemptBase = attempts;
    attempts++;
    state = MountState.starting;
    progress = null;
  };

  const holding = new CancellationScope();
  let holdEnded = false;
  const held = holding
    .run(() => m.hold({ restart }))
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
    // request (loading a large repository's index, restoring a large disk take long).
    await condition(() => state !== MountState.starting || unmountAsked || holdEnded);
    if ((state as MountState) === MountState.mounted) expiresAt = expiryAfterUse(expiresAt, Date.now(), m.ttlMs);
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
      await m.release();
    });
    state = MountState.ended;
  }
  // Updates waiting for `ended` answer before the run closes.
  await condition(allHandlersFinished);
  return status();
}
