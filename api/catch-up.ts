// Catch-up of scheduled backups missed while their agent was unreachable: a laptop that was
// off at 02:00 is backed up when it wakes. When an agent registers (it does at every start),
// each of its jobs whose newest run is a scheduled backup that failed as "agent unreachable"
// within the catch-up window gets one catch-up run. Its workflow id is derived from the
// missed run, and Temporal refuses a duplicate id, so registering twice starts it once.
import { isUniqueViolation } from '../catalog/rows';
import { Workflows } from '../contract/workflows';
import { startWorkflow } from '../core/start-workflow';
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Run } from '../contract/model';
import { SERVER_TASK_QUEUE, ScheduleKind, catchUpWorkflowId, isScheduledBackupWorkflowId, scheduleIdFor } from '../contract/names';
import type { ApiContext } from './context';

/** The start of the reason workflows/failure-reason.ts gives a step its agent never picked up. */
export const UNREACHABLE_REASON_PREFIX = 'agent unreachable';

export interface CatchUp {
  jobId: number;
  missedRunId: string;
  workflowId: string;
}

/**
 * Which jobs get a catch-up run (pure). `latest` holds the newest backup run of each job of
 * the agent; `activeScheduleJobs` the jobs with a schedule that is not paused (a paused or
 * deleted schedule means the operator does not want the backup now).
 */
export function selectCatchUps(latest: readonly Run[], activeScheduleJobs: ReadonlySet<number>, now: Date, windowMs: number): CatchUp[] {
  return latest
    .filter(
      (r) =>
        r.kind === 'backup' &&
        r.jobId !== null &&
        activeScheduleJobs.has(r.jobId) &&
        r.status === 'failed' &&
        (r.failureReason ?? '').startsWith(UNREACHABLE_REASON_PREFIX) &&
        isScheduledBackupWorkflowId(r.jobId, r.workflowId) &&
        now.getTime() - Date.parse(r.startedAt) <= windowMs,
    )
    .map((r) => ({ jobId: r.jobId!, missedRunId: r.id, workflowId: catchUpWorkflowId(r.jobId!, new Date(r.startedAt)) }));
}

/** Starts the catch-up runs an agent is owed; returns the workflow ids started. Never throws for a duplicate. */
export async function startCatchUpRuns(ctx: ApiContext, agentName: string): Promise<string[]> {
  const latest = await ctx.catalog.runs.latestBackupsOfAgent(agentName);
  if (latest.length === 0) return [];
  const active = new Set<number>();
  for (const r of latest) {
    const s = r.jobId === null ? null : await ctx.catalog.schedules.find(scheduleIdFor(ScheduleKind.backup, r.jobId));
    if (s && !s.paused) active.add(r.jobId!);
  }
  const started: string[] = [];
  for (const c of selectCatchUps(latest, active, new Date(), ctx.catchupWindowMs)) {
    const runId = randomUUID();
    try {
      await ctx.catalog.transaction(async (tx) => {
        await tx.runs.insert({ id: runId, kind: 'backup', jobId: c.jobId, workflowId: c.workflowId, agentName });
        const input = { runId, jobId: c.jobId, agentScheduleToStartMs: ctx.agentScheduleToStartMs, engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs };
        const guest = (await tx.jobs.get(c.jobId)).kind === 'guest';
        await startWorkflow(ctx.temporal, guest ? Workflows.guestBackup : Workflows.backup, input, {
          taskQueue: SERVER_TASK_QUEUE,
          workflowId: c.workflowId,
          // Never a second catch-up for one missed run, also after the first has closed.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      });
      ctx.logger.info({ agent: agentName, jobId: c.jobId, missedRunId: c.missedRunId, workflowId: c.workflowId, runId }, 'catch-up run started');
      started.push(c.workflowId);
    } catch (err) {
      const taken = isUniqueViolation(err) || err instanceof WorkflowExecutionAlreadyStartedError;
      if (!taken) throw err;
      ctx.logger.info({ agent: agentName, workflowId: c.workflowId }, 'catch-up run exists already');
    }
  }
  return started;
}
