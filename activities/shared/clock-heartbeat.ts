// Heartbeats on a clock, for activities whose heartbeat says "this attempt is alive", never
// "it moves" (steps that can stall are watched by activities/shared/stall-watch.ts as well).
//
// Short agent steps (snapshot create/release, target checks, post hooks, plugin tests) use
// it too. Temporal delivers an activity task at most once per attempt: a task lost on its
// way to a worker shows as started while nobody runs it, and only a timeout brings it back.
// With a heartbeat timeout on the step, a lost step is retried within seconds instead of
// after its whole start-to-close timeout (bench:scale saw runs wait 15 minutes on a lost
// releaseSnapshot).
import { Context } from '@temporalio/activity';

/** Below the smallest heartbeat timeout in use; the SDK throttles what it actually sends. */
export const CLOCK_HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs `fn` in the current activity, heartbeating every `everyMs` until it settles. No beat
 * at the start: a step done within a tick sends none (a heartbeat is a server round trip,
 * and the heartbeat timeout runs from the start anyway).
 */
export async function whileHeartbeating<R>(fn: () => Promise<R>, everyMs = CLOCK_HEARTBEAT_EVERY_MS): Promise<R> {
  const ctx = Context.current();
  const ticker = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(ticker);
  }
}

/** `fn` as an activity that heartbeats on the clock while it runs. */
export function withClockHeartbeat<A extends unknown[], R>(fn: (...args: A) => Promise<R>, everyMs = CLOCK_HEARTBEAT_EVERY_MS): (...args: A) => Promise<R> {
  return (...args: A) => whileHeartbeating(() => fn(...args), everyMs);
}

/**
 * Runs `fn`, heartbeating what `details()` says at once and then on the clock: long engine
 * steps whose heartbeat carries the progress the API shows (and restic is silent while it
 * loads its index, so the clock, not its output, keeps the attempt alive).
 */
export async function whileReportingProgress<R>(details: () => unknown, fn: () => Promise<R>, everyMs = CLOCK_HEARTBEAT_EVERY_MS): Promise<R> {
  const ctx = Context.current();
  ctx.heartbeat(details());
  const ticker = setInterval(() => ctx.heartbeat(details()), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(ticker);
  }
}
