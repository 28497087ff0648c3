// The Temporal edge for activities: typed Backstop errors become ApplicationFailures whose
// `type` names the error and whose retryability comes from the error itself.
import { ApplicationFailure } from '@temporalio/common';
import { BackstopError } from '../core/errors';

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
        throw toApplicationFailure(err);
      }
    };
    // The worker registers activities by property name, so keep them.
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
