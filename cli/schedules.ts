// `backstop jobs schedule-set|schedule-delete|pause|resume|trigger|backfill` and the same for
// a repository's prune and S3-sync schedules (`backstop repos schedule-set <id> prune …`).
import { Argument, type Command, Option } from 'commander';
import type { components } from '../contract/generated/api-schema';
import type { RepositoryScheduleKind } from '../core/api-client';
import { collect, confirm, covers, defined, positiveInt, show, wholeNumber, type CliContext, type OperationId } from './command-kit';
import { UsageError } from './exit-codes';

type ScheduleSet = components['schemas']['ScheduleSet'];
type Schedule = components['schemas']['Schedule'];
type Accepted = components['schemas']['ScheduleAccepted'];

export const OVERLAPS = ['skip', 'buffer-one', 'cancel-other'] as const;
export const BACKFILL_OVERLAPS = ['buffer-all', ...OVERLAPS] as const;
const REPOSITORY_KINDS = ['prune', 's3-sync'] as const;

export interface ScheduleOptions {
  cron?: string[];
  every?: number;
  tz?: string;
  jitter?: number;
  overlap?: (typeof OVERLAPS)[number];
  catchup?: number;
  pauseOnFailure?: boolean;
}

/** The schedule the flags describe (pure; the API validates cron expressions and time zones). */
export function scheduleRequest(o: ScheduleOptions): ScheduleSet {
  if (!o.cron?.length && o.every === undefined) throw new UsageError('a schedule needs --cron <expr> or --every <seconds>');
  return defined({
    cron: o.cron?.length ? o.cron : undefined,
    intervals: o.every !== undefined ? [{ everySeconds: o.every }] : undefined,
    timezone: o.tz,
    jitterSeconds: o.jitter,
    overlap: o.overlap,
    catchupWindowSeconds: o.catchup,
    pauseOnFailure: o.pauseOnFailure,
  });
}

/** Adds the schedule flags to a command (`jobs schedule-set`, `repos schedule-set`, `jobs drill-set`). */
export function withScheduleOptions(cmd: Command, required = true): Command {
  return cmd
    .option(`--cron <expr>`, `a cron expression (repeatable)${required ? '; --cron or --every is needed' : ''}`, collect)
    .option('--every <seconds>', 'an interval in seconds', wholeNumber)
    .option('--tz <zone>', 'IANA time zone of the cron expressions (default UTC)')
    .option('--jitter <seconds>', 'start up to this much later, spreading load', wholeNumber)
    .addOption(new Option('--overlap <policy>', 'when the previous run is still going').choices(OVERLAPS))
    .option('--catchup <seconds>', 'how late a missed run may still start', wholeNumber)
    .option('--pause-on-failure', 'pause the schedule when a run fails');
}

export function scheduleLines(s: Schedule): string[] {
  const when = [...s.cron, ...s.intervals.map((i) => `every ${i.everySeconds}s`), ...(s.calendars.length ? [`${s.calendars.length} calendar(s)`] : [])].join(', ');
  return [
    `${s.scheduleId}: ${when} (${s.timezone}), overlap ${s.overlap}${s.paused ? `, PAUSED${s.note ? ` (${s.note})` : ''}` : ''}`,
    `runs appear as ${s.workflowIdPrefix}-<time>; next: ${s.nextRuns.join(', ') || '—'}`,
  ];
}

const acceptedLines = (what: string) => (t: Accepted) => [`${what} ${t.scheduleId}: runs appear as ${t.workflowIdPrefix}-<time>`];

export function registerJobSchedules(jobs: Command, ctx: CliContext): void {
  covers(
    withScheduleOptions(jobs.command('schedule-set').description("set the job's backup schedule (replaces it)").argument('<id>', 'job id', positiveInt)).action(async (id: number, o: ScheduleOptions) => {
      show(ctx, await ctx.api().setJobSchedule(id, scheduleRequest(o)), scheduleLines);
    }),
    'setJobSchedule',
  );
  covers(
    jobs
      .command('schedule-delete')
      .description("remove the job's schedule")
      .argument('<id>', 'job id', positiveInt)
      .action(async (id: number) => {
        await ctx.api().deleteJobSchedule(id);
        confirm(ctx, `job ${id} has no schedule now`);
      }),
    'deleteJobSchedule',
  );
  for (const verb of ['pause', 'resume'] as const) {
    covers(
      jobs
        .command(verb)
        .description(`${verb} the job's schedule`)
        .argument('<id>', 'job id', positiveInt)
        .option('--note <text>', 'why, shown with the schedule')
        .action(async (id: number, o: { note?: string }) => show(ctx, await ctx.api().setJobSchedulePaused(id, verb === 'pause', o.note), scheduleLines)),
      verb === 'pause' ? 'pauseJobSchedule' : 'resumeJobSchedule',
    );
  }
  covers(
    jobs
      .command('trigger')
      .description("run the job's scheduled backup now (through its schedule)")
      .argument('<id>', 'job id', positiveInt)
      .action(async (id: number) => show(ctx, await ctx.api().triggerJobSchedule(id), acceptedLines('triggered'))),
    'triggerJobSchedule',
  );
  covers(
    jobs
      .command('backfill')
      .description('take the runs the schedule would have taken between two times')
      .argument('<id>', 'job id', positiveInt)
      .requiredOption('--start <time>', 'from (ISO 8601)')
      .requiredOption('--end <time>', 'to (ISO 8601)')
      .addOption(new Option('--overlap <policy>', 'how the backfilled runs overlap').choices(BACKFILL_OVERLAPS))
      .action(async (id: number, o: { start: string; end: string; overlap?: (typeof BACKFILL_OVERLAPS)[number] }) =>
        show(ctx, await ctx.api().backfillJobSchedule(id, backfillRequest(o)), acceptedLines('backfill of')),
      ),
    'backfillJobSchedule',
  );
}

export function backfillRequest(o: { start: string; end: string; overlap?: (typeof BACKFILL_OVERLAPS)[number] }): components['schemas']['ScheduleBackfill'] {
  const iso = (t: string, what: string) => {
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) throw new UsageError(`${what} must be a date-time (ISO 8601), got "${t}"`);
    return new Date(ms).toISOString();
  };
  return defined({ start: iso(o.start, '--start'), end: iso(o.end, '--end'), overlap: o.overlap });
}

export function registerRepositorySchedules(repos: Command, ctx: CliContext): void {
  const kindArg = (cmd: Command) =>
    cmd.argument('<id>', 'repository id', positiveInt).addArgument(new Argument('<kind>', 'which schedule').choices(REPOSITORY_KINDS));
  const api = () => ctx.api();
  const simple = (name: string, description: string, op: OperationId, act: (id: number, kind: RepositoryScheduleKind, o: { note?: string }) => Promise<void>, note = false) => {
    const cmd = kindArg(repos.command(name).description(description));
    if (note) cmd.option('--note <text>', 'why, shown with the schedule');
    covers(cmd.action(act), op);
  };
  covers(
    withScheduleOptions(kindArg(repos.command('schedule-set').description("set the repository's prune or S3-sync schedule (replaces it)"))).action(async (id: number, kind: RepositoryScheduleKind, o: ScheduleOptions) =>
      show(ctx, await api().setRepositorySchedule(id, kind, scheduleRequest(o)), scheduleLines),
    ),
    'setRepositorySchedule',
  );
  simple('schedule-show', "the repository's prune or S3-sync schedule and its next fire times", 'getRepositorySchedule', async (id, kind) => show(ctx, await api().getRepositorySchedule(id, kind), scheduleLines));
  simple('schedule-delete', 'remove the schedule', 'deleteRepositorySchedule', async (id, kind) => {
    await api().deleteRepositorySchedule(id, kind);
    confirm(ctx, `repository ${id} has no ${kind} schedule now`);
  });
  simple('pause', 'pause the schedule', 'pauseRepositorySchedule', async (id, kind, o) => show(ctx, await api().setRepositorySchedulePaused(id, kind, true, o.note), scheduleLines), true);
  simple('resume', 'resume the schedule', 'resumeRepositorySchedule', async (id, kind, o) => show(ctx, await api().setRepositorySchedulePaused(id, kind, false, o.note), scheduleLines), true);
  simple('trigger', "run the schedule's action now", 'triggerRepositorySchedule', async (id, kind) => show(ctx, await api().triggerRepositorySchedule(id, kind), acceptedLines('triggered')));
  covers(
    kindArg(repos.command('backfill').description('take the runs the schedule would have taken between two times'))
      .requiredOption('--start <time>', 'from (ISO 8601)')
      .requiredOption('--end <time>', 'to (ISO 8601)')
      .addOption(new Option('--overlap <policy>', 'how the backfilled runs overlap').choices(BACKFILL_OVERLAPS))
      .action(async (id: number, kind: RepositoryScheduleKind, o: { start: string; end: string; overlap?: (typeof BACKFILL_OVERLAPS)[number] }) =>
        show(ctx, await api().request<Accepted>('POST', `/v1/repositories/${id}/schedules/${kind}/backfill`, backfillRequest(o)), acceptedLines('backfill of')),
      ),
    'backfillRepositorySchedule',
  );
}
