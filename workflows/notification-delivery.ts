// NotificationDeliveryWorkflow: one message of one event to one channel, retried on its own
// schedule until the receiver takes it or the delivery gives up.
//
//   deliverNotification (retried: first interval, backoff 2, max interval, give up after) ─▶ delivered
//                       └─ a refusal, the channel gone or the time up ─▶ giveUpDelivery ─▶ failed
//
// It is started by the server activity that records a run's end (or start), never by the run
// workflow itself: the run has finished when this starts, so nothing here can change its
// outcome. The input holds ids only; the activity opens the channel's secrets itself.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { ErrorType } from '../contract/errors';
import type { DeliveryActivities, NotificationDeliveryInput, NotificationDeliveryResult } from '../contract/notification-activities';

/** Attempts of the bookkeeping step: a catalog hiccup gets retried, it is never the message. */
const bookkeeping = proxyActivities<DeliveryActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

/** Errors no retry can help: the receiver refused the message, or the delivery's row is gone. */
const FINAL_TYPES: readonly string[] = [ErrorType.input, ErrorType.notFound];

/**
 * Why the delivery stopped: the refusal in its own words, or that its time ran out (Temporal
 * schedules no attempt past the give-up time and hands back the last attempt's error, or a
 * timeout); the catalog row keeps the last attempt's error beside it.
 */
function reasonOf(err: unknown, giveUpAfterMs: number): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && (cause.nonRetryable || FINAL_TYPES.includes(cause.type ?? ''))) return cause.message;
  return `gave up after ${Math.round(giveUpAfterMs / 60_000)} min of retries`;
}

export async function notificationDeliveryWorkflow(input: NotificationDeliveryInput): Promise<NotificationDeliveryResult> {
  const { retry } = input;
  const delivery = proxyActivities<DeliveryActivities>({
    taskQueue: SERVER_TASK_QUEUE,
    // One attempt: the receiver's own timeout plus the catalog reads and writes around it.
    startToCloseTimeout: retry.attemptTimeoutMs + 30_000,
    // All attempts together: past this the delivery is given up and recorded as failed.
    scheduleToCloseTimeout: retry.giveUpAfterMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
      // A refusal (4xx) or a deleted channel: no retry can help.
      nonRetryableErrorTypes: [...FINAL_TYPES],
    },
  });
  try {
    await delivery.deliverNotification({ deliveryId: input.deliveryId, timeoutMs: retry.attemptTimeoutMs });
    return { status: 'delivered' };
  } catch (err) {
    await bookkeeping.giveUpDelivery({ deliveryId: input.deliveryId, reason: reasonOf(err, retry.giveUpAfterMs) });
    return { status: 'failed' };
  }
}
