// Where job health learns a job's schedule: its interval and next fire time, from the job's
// Temporal Schedule. A job without a schedule, or with a paused one, has neither, so it is
// never stale: nobody expects it to run.
import type { Job } from '../core/model';
import type { ApiContext } from './context';
import { jobScheduleView } from './routes/schedules';

export interface JobScheduleInfo {
  intervalMs: number | null;
  nextRunAt: string | null;
}

export async function jobScheduleInfo(ctx: ApiContext, job: Job): Promise<JobScheduleInfo> {
  const view = await jobScheduleView(ctx, job.id, 2);
  if (!view || view.paused) return { intervalMs: null, nextRunAt: null };
  const [next, after] = view.nextRuns;
  // The gap between the next two fire times: exact for intervals, the current period for a
  // cron or calendar spec (whose gaps may vary: nightly vs weekend, DST days).
  return { intervalMs: next && after ? Date.parse(after) - Date.parse(next) : null, nextRunAt: next ?? null };
}
