// NotificationWatchWorkflow: looks at the catalog every `everyMs` for jobs gone stale and
// agents gone unreachable (watchHealth raises each change once), forever; continues as new
// now and then so its history stays short. One per namespace, id `notification-watch`.
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import type { NotificationWatchInput, WatchActivities } from '../contract/notification-activities';

/** Looks per run before continuing as new: a few hundred events of history each. */
const LOOKS_PER_RUN = 100;

const { watchHealth } = proxyActivities<WatchActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  // A look that keeps failing (catalog away) is given up: the next one comes anyway.
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function notificationWatchWorkflow(input: NotificationWatchInput): Promise<void> {
  for (let look = 0; look < LOOKS_PER_RUN; look++) {
    try {
      await watchHealth();
    } catch {
      // Nothing to record: the next look sees the same catalog and raises what this one missed.
    }
    await sleep(input.everyMs);
  }
  await continueAsNew<typeof notificationWatchWorkflow>(input);
}
