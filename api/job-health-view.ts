// Every job with its health, as GET /v1/jobs shows it and /metrics exports it: the catalog's
// run summary and the schedule's view (one Temporal describe per scheduled job) fed to the
// pure rule in core/job-health.ts. One home, so the list and the metrics cannot disagree on
// which jobs are stale.
import type { Job } from '../contract/model';
import { ScheduleKind } from '../contract/names';
import { jobHealth, type JobHealth } from '../core/job-health';
import { drillHealth, type DrillHealth } from '../core/drill';
import { drillSettingsOrDefaults } from '../contract/drill';
import type { ApiContext } from './context';
import { FIRE_TIMES_FOR_HEALTH, scheduleInfoOf } from './job-schedule-info';
import { scheduleView } from './routes/schedules';

export type ScheduleView = Awaited<ReturnType<typeof scheduleView>>;

/** A job's health: its backups' (core/job-health.ts) and its restore drills' (core/drill.ts). */
export type JobAndDrillHealth = JobHealth & DrillHealth;

const NO_DRILLS = { lastDrill: null, lastPassAt: null, runningSince: null };

/** Each job with its health: run summaries from the catalog, interval and next run from its schedule's view. */
export async function withHealth(ctx: ApiContext, jobs: Job[], schedules: ReadonlyMap<number, ScheduleView>): Promise<Array<{ job: Job; health: JobAndDrillHealth }>> {
  const ids = jobs.map((j) => j.id);
  const [summaries, drills, drillSettings] = await Promise.all([ctx.catalog.jobs.runSummaries(ids), ctx.catalog.jobs.drillSummaries(ids), ctx.catalog.jobs.drillSettingsOf(ids)]);
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
    const drill = drillHealth({
      runs: drills.get(job.id) ?? NO_DRILLS,
      createdAt: job.createdAt,
      staleAfterDays: drillSettingsOrDefaults(drillSettings.get(job.id)).staleAfterDays,
      now,
    });
    return { job, health: { ...health, ...drill } };
  });
}

/** Every job with its health: the backup schedules in one catalog read, then one describe per scheduled job. */
export async function allJobsWithHealth(ctx: ApiContext) {
  const records = (await ctx.catalog.schedules.list()).filter((r) => r.kind === ScheduleKind.backup && r.jobId !== null);
  const views = new Map(await Promise.all(records.map(async (r): Promise<[number, ScheduleView]> => [r.jobId!, await scheduleView(ctx, r, FIRE_TIMES_FOR_HEALTH)])));
  return withHealth(ctx, await ctx.catalog.jobs.list(), views);
}
