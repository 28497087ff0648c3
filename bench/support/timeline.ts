// Where a Backstop run's time goes, read from its Temporal history: for each activity the
// time it waited in its task queue (scheduled -> started) and the time it ran (started ->
// completed); what is left of the workflow's span is workflow-task time (the server worker
// replaying and deciding the next step).
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export interface ActivitySpan {
  name: string;
  /** Waiting in the task queue until a worker picked it up. */
  queueMs: number;
  /** Running on the worker, including the result's trip back. */
  runMs: number;
  attempt: number;
}

export interface Timeline {
  /** WorkflowExecutionStarted -> WorkflowExecutionCompleted/Failed. */
  workflowMs: number;
  activities: ActivitySpan[];
  /** Local activities, in order (markers): they run inside workflow tasks, so their time is in workflowTaskMs. */
  localActivities: string[];
  /** workflowMs minus every activity's queue and run time: workflow tasks and their queueing. */
  workflowTaskMs: number;
  /** Of the workflow tasks: time waiting for the worker (scheduled -> started) and deciding (started -> completed). */
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  /** Epoch ms of WorkflowExecutionStarted. */
  startedAt: number;
  /** Epoch ms of the closing event. */
  closedAt: number;
}

const key = (id: unknown) => String(id);

export function timelineOf(events: HistoryEvent[]): Timeline {
  const time = (e: HistoryEvent) => tsToMs(e.eventTime);
  const scheduled = new Map<string, { name: string; at: number }>();
  const started = new Map<string, { at: number; attempt: number }>();
  const activities: ActivitySpan[] = [];
  const localActivities: string[] = [];
  let startedAt = NaN;
  let closedAt = NaN;
  let taskScheduledAt = NaN;
  let taskStartedAt = NaN;
  let workflowTaskQueueMs = 0;
  let workflowTaskRunMs = 0;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) startedAt = time(e);
    else if (e.workflowTaskScheduledEventAttributes) taskScheduledAt = time(e);
    else if (e.workflowTaskStartedEventAttributes) {
      taskStartedAt = time(e);
      workflowTaskQueueMs += taskStartedAt - taskScheduledAt;
    } else if (e.workflowTaskCompletedEventAttributes) workflowTaskRunMs += time(e) - taskStartedAt;
    else if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionCanceledEventAttributes) closedAt = time(e);
    else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      const data = e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data;
      localActivities.push(data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type ?? '?' : '?');
    } else if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(key(e.eventId), { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at: time(e) });
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      started.set(key(a.scheduledEventId), { at: time(e), attempt: a.attempt ?? 1 });
    } else {
      const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
      if (!done) continue;
      const s = scheduled.get(key(done.scheduledEventId));
      const st = started.get(key(done.scheduledEventId));
      if (!s) continue;
      const startAt = st?.at ?? time(e);
      activities.push({ name: s.name, queueMs: startAt - s.at, runMs: time(e) - startAt, attempt: st?.attempt ?? 1 });
    }
  }
  const workflowMs = closedAt - startedAt;
  const inActivities = activities.reduce((sum, a) => sum + a.queueMs + a.runMs, 0);
  return { workflowMs, activities, localActivities, workflowTaskMs: workflowMs - inActivities, workflowTaskQueueMs, workflowTaskRunMs, startedAt, closedAt };
}
