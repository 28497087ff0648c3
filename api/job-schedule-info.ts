// Where job health learns a job's schedule: its interval and next fire time, read off the
// schedule's view (GET /v1/jobs/{id} shows the same view, so one describe serves both). A job
// without a schedule, or with a paused one, has neither, so it is never stale: nobody
// expects it to run.

export interface JobScheduleInfo {
  intervalMs: number | null;
  nextRunAt: string | null;
}

/** Needs at least the next two fire times of the view to know the interval. */
export const FIRE_TIMES_FOR_HEALTH = 2;

export function scheduleInfoOf(view: { paused: boolean; nextRuns: string[] } | null): JobScheduleInfo {
  if (!view || view.paused) return { intervalMs: null, nextRunAt: null };
  const [next, after] = view.nextRuns;
  // The gap between the next two fire times: exact for intervals, the current period for a
  // cron or calendar spec (whose gaps may vary: nightly vs weekend, DST days).
  return { intervalMs: next && after ? Date.parse(after) - Date.parse(next) : null, nextRunAt: next ?? null };
}
