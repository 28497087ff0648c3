// From "this run ended (or started, or waits for approval)" to one delivery workflow per
// matching channel. Called by the server activities that record those moments, after their
// catalog write; the run workflows themselves know nothing of it.
//
// Safe to call twice (a retried activity): the delivery row and the workflow id are both
// keyed on (run, event, channel), and a workflow id is never reused, so a channel gets the
// event once. Never throws: a notification that cannot be scheduled is logged and recorded
// on its row, and the run's own step goes on as if nothing happened.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { NotificationEvent } from '../../../contract/notifications';
import { notificationWorkflowId, type DeliveryRetry } from '../../../contract/notification-activities';
import { Workflows } from '../../../contract/workflows';
import { SERVER_TASK_QUEUE } from '../../../contract/names';
import { startWorkflow } from '../../../core/start-workflow';
import type { Catalog } from '../../../catalog/catalog';
import type { Logger } from '../../../core/logger';
import { channelsFor, runEndEvent } from './rules';
import type { Observation } from './watch';

export interface RunNotifier {
  /** Raises `event` for the run: one delivery per channel whose rules match. Never throws. */
  runEvent(runId: string, event: NotificationEvent): Promise<void>;
  /** The run's end is recorded: raises the event its recorded status means, if any. Never throws. */
  runEnded(runId: string): Promise<void>;
  /** A job went stale or an agent unreachable (the health watch): one delivery per matching channel. Throws, so the watch retries. */
  subjectTurnedBad(o: Observation): Promise<void>;
}

export interface NotifierDeps {
  catalog: Catalog;
  client: Client;
  logger: Logger;
  retry: DeliveryRetry;
  now?: () => Date;
}

export function createRunNotifier(deps: NotifierDeps): RunNotifier {
  const { catalog, client, logger } = deps;
  const now = deps.now ?? (() => new Date());

  /** One delivery per channel: the row first (GET /v1/runs shows it at once), then its workflow. */
  async function deliverTo(channels: number[], d: { key: string; event: NotificationEvent; runId: string | null; subject: Record<string, unknown> | null; occurredAt: string }): Promise<void> {
    for (const channelId of channels) {
      const workflowId = notificationWorkflowId(d.key, d.event, channelId);
      const row = await catalog.notifications.recordDelivery({ runId: d.runId, channelId, event: d.event, workflowId, subject: d.subject, occurredAt: d.occurredAt });
      try {
        await startWorkflow(client, Workflows.notificationDelivery, { deliveryId: row.id, retry: deps.retry }, {
          taskQueue: SERVER_TASK_QUEUE,
          workflowId,
          // A finished delivery's id stays taken: asked again, it is not sent again.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) continue;
        await catalog.notifications.markFailed(row.id, `could not start the delivery: ${(err as Error).message}`).catch(() => undefined);
        throw err;
      }
    }
  }

  async function schedule(runId: string, which: NotificationEvent | 'end'): Promise<void> {
    const run = await catalog.runs.get(runId);
    const event = which === 'end' ? runEndEvent(run.kind, run.status) : which;
    if (!event) return;
    const rules = await catalog.notifications.rulesForEvent(event);
    const channels = channelsFor(rules, event, { jobId: run.jobId, repositoryId: run.repositoryId });
    // The moment itself where the catalog has it; a late or repeated call keeps the first row's.
    const occurredAt = event === 'run.started' ? run.startedAt : event === 'restore.awaiting_approval' ? now().toISOString() : (run.finishedAt ?? now().toISOString());
    await deliverTo(channels, { key: runId, event, runId, subject: null, occurredAt });
  }

  async function safely(runId: string, event: NotificationEvent | 'end'): Promise<void> {
    try {
      await schedule(runId, event);
    } catch (err) {
      logger.error({ err, runId, event }, 'notification not scheduled');
    }
  }

  return {
    runEvent: safely,
    runEnded: (runId) => safely(runId, 'end'),
    async subjectTurnedBad(o) {
      const rules = await catalog.notifications.rulesForEvent(o.event);
      // An agent belongs to no job or repository: only global rules hear of it.
      const channels = channelsFor(rules, o.event, { jobId: o.jobId, repositoryId: o.repositoryId });
      await deliverTo(channels, {
        // One episode of one subject: `job-7@<last success>`, `agent-web-1@<last heartbeat>`.
        key: `${o.subject.replace(':', '-')}@${o.since}`,
        event: o.event,
        runId: null,
        subject: o.jobId !== null ? { jobId: o.jobId } : { agent: o.agent },
        occurredAt: now().toISOString(),
      });
    },
  };
}

/** A notifier that sends nothing: for activity factories built without one (tests, tools). */
export const SILENT_NOTIFIER: RunNotifier = { runEvent: () => Promise.resolve(), runEnded: () => Promise.resolve(), subjectTurnedBad: () => Promise.resolve() };
