// The delivery workflow and its activities: one workflow per (run, event, channel), so a
// run's end asked twice (a retried activity) still sends one message. Inputs carry ids
// only: the channel's secrets are opened inside the activity, never in workflow history.
import type { NotificationEvent } from './notifications';

/** How long and how often a delivery is retried (BACKSTOP_NOTIFY_RETRY_* settings). */
export interface DeliveryRetry {
  /** First wait after a failed attempt; doubles each time. */
  initialIntervalMs: number;
  /** Longest wait between attempts. */
  maximumIntervalMs: number;
  /** After this long since the first attempt the delivery gives up, recorded as failed. */
  giveUpAfterMs: number;
  /** One attempt's limit (the receiver's answer included). */
  attemptTimeoutMs: number;
}

export interface NotificationDeliveryInput {
  /** The notification_deliveries row (its channel, event, run and occurrence time). */
  deliveryId: number;
  retry: DeliveryRetry;
}

export interface NotificationDeliveryResult {
  status: 'delivered' | 'failed';
}

export interface DeliveryActivities {
  /**
   * One attempt: builds the message from the catalog, opens the channel's secrets, delivers,
   * records the attempt. DeliveryError → retried; InputError (a refusal) → recorded failed.
   */
  deliverNotification(input: { deliveryId: number; timeoutMs: number }): Promise<void>;
  /** Records that the delivery gave up (retries exhausted, or a refusal) with the last reason. */
  giveUpDelivery(input: { deliveryId: number; reason: string }): Promise<void>;
}

/** `notify/<runId>/<event>/<channelId>`: the same event of a run reaches a channel once. */
export function notificationWorkflowId(subject: string, event: NotificationEvent, channelId: number): string {
  return `notify/${subject}/${event}/${channelId}`;
}

/** The health watch: one per namespace, started (or taken over) by the server worker. */
export const NOTIFICATION_WATCH_WORKFLOW_ID = 'notification-watch';

export interface NotificationWatchInput {
  /** Between two looks at the catalog (BACKSTOP_NOTIFY_WATCH_MS). */
  everyMs: number;
}

export interface WatchActivities {
  /**
   * One look at every job and agent: raises job.stale / agent.unreachable for those that turned
   * bad since the last look (deliveries keyed on the episode, so a retried look sends nothing
   * twice), then records what it saw.
   */
  watchHealth(): Promise<{ raised: number }>;
}
