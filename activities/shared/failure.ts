// The Temporal edge for activities: typed Backstop errors become ApplicationFailures whose
// `type` names the error and whose retryability comes from the error itself.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { BackstopError } from '../../contract/errors';

/**
 * The cancellation Temporal asked for, if this activity was cancelled by the workflow (a
 * cancelled run): whatever the step threw while stopping (restic's "cancelled" after
 * SIGINT), it must reach the workflow as a cancellation, or the run would be recorded as
 * failed. A worker shutdown or a lost heartbeat is not this: those stay failures, retried.
 */
function requestedCancellation(): CancelledFailure | null {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return null;
  }
  if (!ctx.cancellationSignal.aborted || !ctx.cancellationDetails?.cancelRequested) return null;
  const reason: unknown = ctx.cancellationSignal.reason;
  return reason instanceof CancelledFailure ? reason : new CancelledFailure('cancelled');
}

export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof BackstopError) {
    // Details are left out on purpose: they may quote engine output, and failures are
    // stored in workflow history unencrypted.
    return ApplicationFailure.create({ message: err.message, type: err.type, nonRetryable: !err.retryable });
  }
  return err;
}

/** Wraps every function of an activity object so thrown Backstop errors cross the edge typed. */
export function withFailureMapping<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw requestedCancellation() ?? toApplicationFailure(err);
      }
    };
    // The worker registers activities by property name, so keep them.
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
