// Readable failure reasons from Temporal failures, for the run record and the API.
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure, isCancellation } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';

export function isCancelled(err: unknown): boolean {
  return isCancellation(err) || err instanceof CancelledFailure;
}

export function failureReason(err: unknown, agentName: string): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
      return `agent unreachable: agent "${agentName}" did not pick up ${err.activityType} in time`;
    }
    if (cause instanceof TimeoutFailure) {
      return `${err.activityType} timed out (${cause.timeoutType ?? 'timeout'})`;
    }
    if (cause instanceof ApplicationFailure) return cause.message;
    if (cause) return cause.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
