// `backstop jobs schedule-set|schedule-delete|pause|resume|trigger|backfill` and the same
// for a repository's prune and S3-sync schedules (`backstop repos schedule-set <id> prune …`).
import type { components } from '../contract/generated/api-schema';
import type { ApiClient } from '../core/api-client';
import { flag, flags } from './args';

type ScheduleSet = components['schemas']['ScheduleSet'];
type Schedule = components['schemas']['Schedule'];
type Overlap = NonNullable<ScheduleSet['overlap']>;

export const SCHEDULE_USAGE = `  jobs schedule-set <id> [--cron '<expr>']… [--every <seconds>] [--tz <zone>] [--jitter <s>]
                    [--overlap skip|buffer-one|cancel-other] [--catchup <s>] [--pause-on-failure]
                                             set job <id>'s schedule (replaces it)
  jobs schedule-delete <id>                  remove job <id>'s schedule
  jobs pause <id> [--note <text>]            pause job <id>'s schedule; jobs resume <id> [--note <text>]
  jobs trigger <id>                          run job <id>'s scheduled backup now
  jobs backfill <id> --start <time> --end <time> [--overlap <p>]
                                             take the runs the schedule would have taken then
  repos schedule-set <id> prune|s3-sync <schedule options as above>
  repos schedule-delete|pause|resume|trigger <id> prune|s3-sync [--note <text>]`;

const OVERLAPS: readonly Overlap[] = ['skip', 'buffer-one', 'cancel-other'];



function nonNegativeInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${what} must be a whole number of seconds`);
  return Number(value);
}

function overlap(value: string | undefined): Overlap | undefined {
  if (value === undefined) return undefined;
  if (!OVERLAPS.includes(value as Overlap)) throw new Error(`--overlap must be one of ${OVERLAPS.join(', ')}`);
  return value as Overlap;
}

function id(value: string | undefined, what: string): number {
  if (!value || !/^[1-9]\d*$/.test(value)) throw new Error(`${what} must be a positive integer`);
  return Number(value);
}

function repositoryKind(value: string | undefined): 'prune' | 's3-sync' {
  if (value !== 'prune' && value !== 's3-sync') throw new Error('say which schedule: prune or s3-sync');
  return value;
}

/** The schedule the flags describe (pure; the API validates cron and timezone). */
export function parseScheduleFlags(args: string[]): ScheduleSet {
  const every = nonNegativeInt(flag(args, '--every'), '--every');
  const s: ScheduleSet = {
    ...(flags(args, '--cron').length ? { cron: flags(args, '--cron') } : {}),
    ...(every !== undefined ? { intervals: [{ everySeconds: every }] } : {}),
    timezone: flag(args, '--tz'),
    jitterSeconds: nonNegativeInt(flag(args, '--jitter'), '--jitter'),
    overlap: overlap(flag(args, '--overlap')),
    catchupWindowSeconds: nonNegativeInt(flag(args, '--catchup'), '--catchup'),
    pauseOnFailure: args.includes('--pause-on-failure') ? true : undefined,
  };
  if (!s.cron && !s.intervals) throw new Error('a schedule needs --cron <expr> or --every <seconds>');
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as ScheduleSet;
}

function printSchedule(s: Schedule): void {
  const when = [...s.cron, ...s.intervals.map((i) => `every ${i.everySeconds}s`), ...(s.calendars.length ? [`${s.calendars.length} calendar(s)`] : [])].join(', ');
  console.log(`${s.scheduleId}: ${when} (${s.timezone}), overlap ${s.overlap}${s.paused ? `, PAUSED${s.note ? ` (${s.note})` : ''}` : ''}`);
  console.log(`runs appear as ${s.workflowIdPrefix}-<time>; next: ${s.nextRuns.join(', ') || '—'}`);
}

export async function jobSchedule(api: ApiClient, sub: string, args: string[]): Promise<number> {
  const jobId = id(args[0], 'job id');
  switch (sub) {
    case 'schedule-set':
      printSchedule(await api.setJobSchedule(jobId, parseScheduleFlags(args.slice(1))));
      return 0;
    case 'schedule-delete':
      await api.deleteJobSchedule(jobId);
      console.log(`job ${jobId} has no schedule now`);
      return 0;
    case 'pause':
    case 'resume':
      printSchedule(await api.setJobSchedulePaused(jobId, sub === 'pause', flag(args, '--note')));
      return 0;
    case 'trigger': {
      const t = await api.triggerJobSchedule(jobId);
      console.log(`triggered ${t.scheduleId}: the run appears as ${t.workflowIdPrefix}-<time>`);
      return 0;
    }
    case 'backfill': {
      const start = flag(args, '--start');
      const end = flag(args, '--end');
      if (!start || !end) throw new Error('backfill needs --start and --end (ISO date-times)');
      const raw = flag(args, '--overlap');
      const ov = raw === 'buffer-all' ? raw : overlap(raw);
      const t = await api.backfillJobSchedule(jobId, { start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...(ov ? { overlap: ov } : {}) });
      console.log(`backfill of ${t.scheduleId} requested: runs appear as ${t.workflowIdPrefix}-<time>`);
      return 0;
    }
    default:
      throw new Error(`unknown jobs command ${sub}`);
  }
}

export async function repositorySchedule(api: ApiClient, sub: string, args: string[]): Promise<number> {
  const repositoryId = id(args[0], 'repository id');
  const kind = repositoryKind(args[1]);
  switch (sub) {
    case 'schedule-set':
      printSchedule(await api.setRepositorySchedule(repositoryId, kind, parseScheduleFlags(args.slice(2))));
      return 0;
    case 'schedule-delete':
      await api.deleteRepositorySchedule(repositoryId, kind);
      console.log(`repository ${repositoryId} has no ${kind} schedule now`);
      return 0;
    case 'pause':
    case 'resume':
      printSchedule(await api.setRepositorySchedulePaused(repositoryId, kind, sub === 'pause', flag(args, '--note')));
      return 0;
    case 'trigger': {
      const t = await api.triggerRepositorySchedule(repositoryId, kind);
      console.log(`triggered ${t.scheduleId}: the run appears as ${t.workflowIdPrefix}-<time>`);
      return 0;
    }
    default:
      throw new Error(`unknown repos command ${sub}`);
  }
}
