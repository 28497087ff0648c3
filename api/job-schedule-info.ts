// Where job health learns a job's schedule: its (nominal) interval and next fire time.
// Jobs have no schedules yet: every job answers { intervalMs: null, nextRunAt: null }, so no
// job is stale. The schedules change wires this to the job's Temporal Schedule (describe →
// next action times; interval from the spec), and nothing else in job health changes.
import type { Job } from '../core/model';
import type { ApiContext } from './context';

export interface JobScheduleInfo {
  intervalMs: number | null;
  nextRunAt: string | null;
}

export async function jobScheduleInfo(_ctx: ApiContext, _job: Job): Promise<JobScheduleInfo> {
  return { intervalMs: null, nextRunAt: null };
}
