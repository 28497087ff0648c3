import { checkAgentHasEngine, checkJobForEngine } from '../../contract/engine-capabilities';
import { Workflows } from '../../contract/workflows';
import { randomUUID } from 'node:crypto';
import type { Job } from '../../contract/model';
import { InputError, NotFoundError } from '../../contract/errors';
import { ScheduleKind, WorkflowKind, workflowIdFor } from '../../contract/names';
import { normalizeSchedule } from '../../core/schedule';
import { DEFAULT_NEXT_RUNS, jobScheduleView, scheduleView, writeSchedule } from './schedules';
import { idempotencyOf, startRun } from '../start-run';
import { handler, type ApiContext } from '../context';
import { jobHealth } from '../../core/job-health';
import { FIRE_TIMES_FOR_HEALTH, scheduleInfoOf } from '../job-schedule-info';
import { checkRetentionPolicy } from '../../contract/retention';
import { checkJobModePaths } from '../job-mode';

/** The API's view of a job names its agent as `agent`. */
export function jobView(job: Job) {
  const { agentName, ...rest } = job;
  return { ...rest, agent: agentName };
}

type ScheduleView = Awaited<ReturnType<typeof scheduleView>>;

/** Each job with its health: run summary from the catalog, interval and next run from its schedule's view. */
async function withHealth(ctx: ApiContext, jobs: Job[], schedules: ReadonlyMap<number, ScheduleView>) {
  const summaries = await ctx.catalog.jobs.runSummaries(jobs.map((j) => j.id));
  const now = new Date();
  return jobs.map((job) => {
    const schedule = scheduleInfoOf(schedules.get(job.id) ?? null);
    const health = jobHealth({
      runs: summaries.get(job.id) ?? { lastSuccessAt: null, lastFailureAt: null, lastRunStatus: null },
      createdAt: job.createdAt,
      scheduleIntervalMs: schedule.intervalMs,
      nextRunAt: schedule.nextRunAt,
      now,
      staleAfterIntervals: ctx.staleAfterIntervals,
    });
    return { ...jobView(job), health };
  });
}

export const listJobs = handler('listJobs', async (ctx, { query }) => {
  // The backup schedules in one catalog read; then one Temporal describe per scheduled job.
  const records = (await ctx.catalog.schedules.list()).filter((r) => r.kind === ScheduleKind.backup && r.jobId !== null);
  const views = new Map(await Promise.all(records.map(async (r): Promise<[number, ScheduleView]> => [r.jobId!, await scheduleView(ctx, r, FIRE_TIMES_FOR_HEALTH)])));
  const items = await withHealth(ctx, await ctx.catalog.jobs.list(), views);
  const stale = query.stale;
  return { status: 200, body: { items: stale === undefined ? items : items.filter((j) => j.health.stale === stale) } };
});

export const getJob = handler('getJob', async (ctx, { params, query }) => {
  const job = await ctx.catalog.jobs.get(params.id);
  const nextRuns = query.nextRuns ?? DEFAULT_NEXT_RUNS;
  // One describe for both the schedule shown and the health derived from it.
  const view = await jobScheduleView(ctx, job.id, Math.max(nextRuns, FIRE_TIMES_FOR_HEALTH));
  const [withJobHealth] = await withHealth(ctx, [job], new Map(view ? [[job.id, view]] : []));
  return { status: 200, body: { ...withJobHealth, schedule: view && { ...view, nextRuns: view.nextRuns.slice(0, nextRuns) } } };
});

export const createJob = handler('createJob', async (ctx, { body: b }) => {
  const retention = b.retention;
  if (retention) checkRetentionPolicy(retention);
  const mode = b.mode ?? 'push';
  checkJobModePaths(mode, b.paths);
  const scheduleDef = b.schedule;
  const schedule = scheduleDef ? normalizeSchedule(scheduleDef) : null;
  const id = await ctx.catalog.transaction(async (tx) => {
    const agent = await tx.agents.findByName(b.agent);
    if (!agent) throw new InputError(`unknown agent "${b.agent}": agents register themselves when they start`);
    // Inside the transaction use its client only: what it reads must be what it writes against.
    const repository = await tx.repositories.get(b.repositoryId).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new InputError(`unknown repository ${b.repositoryId}`) : e;
    });
    checkJobForEngine(repository.engine, { mode, retention });
    checkAgentHasEngine(repository.engine, mode, agent);
    const jobId = await tx.jobs.insert({
      name: b.name,
      agentId: agent.id,
      repositoryId: b.repositoryId,
      paths: b.paths,
      excludes: b.excludes ?? [],
      snapshotMode: b.snapshotMode ?? 'none',
      mode,
      preScript: b.preScript ?? null,
      postHook: b.postHook ?? null,
    });
    if (retention) await tx.jobs.setRetention(jobId, retention);
    // Last, so a refused schedule rolls the job back with it.
    if (schedule) await writeSchedule(ctx, tx, { kind: ScheduleKind.backup, ownerId: jobId }, schedule);
    return jobId;
  });
  return { status: 201, body: { ...jobView(await ctx.catalog.jobs.get(id)), schedule: await jobScheduleView(ctx, id) } };
});

export const runJob = handler('runJob', async (ctx, { params }) => {
  const job = await ctx.catalog.jobs.get(params.id);
  const runId = randomUUID();
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `runJob:${job.id}`),
    run: { id: runId, kind: 'backup', jobId: job.id, repositoryId: job.repositoryId, agentName: job.agentName },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.backup, job.id, at),
    workflow: Workflows.backup,
    input: { runId, jobId: job.id, agentScheduleToStartMs: ctx.agentScheduleToStartMs, engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs },
  });
  // A replayed Idempotency-Key answers as the first request was answered.
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
