// `backstop jobs drill|drill-show|drill-set`: restore drills of a job — start one (optionally
// on another agent, waiting for its verdict), show the settings and schedule, set them.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { components } from '../contract/generated/api-schema';
import type { ApiRun } from '../core/api-client';
import { collect, covers, defined, followStartedRun, positiveInt, show, wholeNumber, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';
import { formatBytes } from './format';
import { scheduleLines, scheduleRequest, withScheduleOptions, type ScheduleOptions } from './schedules';

type DrillSettingsSet = components['schemas']['DrillSettingsSet'];
type JobDrill = components['schemas']['JobDrill'];

export interface DrillSetOptions extends ScheduleOptions {
  files?: number;
  bytes?: number;
  newest?: number;
  readData?: number;
  archives?: number;
  staleDays?: number;
  agent?: string;
  probe?: string[];
}

/** `--read-data 2.5`: a percentage with at most one decimal, as the API takes it. */
export function percentage(value: string): number {
  if (!/^\d+(\.\d)?$/.test(value)) throw new InvalidArgumentError('must be a percentage such as 5 or 2.5.');
  return Number(value);
}

/** The settings the flags describe (pure; the API checks the bounds). */
export function drillSettingsRequest(o: DrillSetOptions): DrillSettingsSet {
  const probes: Record<string, string> = {};
  for (const p of o.probe ?? []) {
    const m = /^([1-9]\d*)=([\s\S]+)$/.exec(p);
    if (!m) throw new UsageError('--probe takes <plugin config id>=<query>');
    probes[m[1]!] = m[2]!;
  }
  const scheduled = (o.cron?.length ?? 0) > 0 || o.every !== undefined;
  return defined({
    sampleFiles: o.files,
    sampleBytes: o.bytes,
    newestFiles: o.newest,
    readDataPercent: o.readData,
    verifyArchives: o.archives,
    staleAfterDays: o.staleDays,
    agent: o.agent,
    probes: Object.keys(probes).length > 0 ? probes : undefined,
    schedule: scheduled ? scheduleRequest(o) : undefined,
  });
}

/** What a finished drill proved (or did not), in a few lines. */
export function drillSummary(run: ApiRun): string[] {
  const d = (run.details ?? {}) as { snapshot?: { id: string } | null; integrity?: { scope: string; passed: boolean } | null; files?: { filesChecked: number; bytesChecked: number; mismatches: unknown[]; restoredOn: string } | null; databases?: Array<{ path: string; status: string }> };
  const lines = [`drill ${run.id}: ${run.status}${run.failureReason ? ` — ${run.failureReason}` : ''}`];
  if (d.snapshot) lines.push(`  snapshot   ${d.snapshot.id}`);
  if (d.integrity) lines.push(`  check      ${d.integrity.scope}: ${d.integrity.passed ? 'passed' : 'damage found'}`);
  if (d.files) lines.push(`  files      ${d.files.filesChecked} checked (${formatBytes(d.files.bytesChecked)}) on ${d.files.restoredOn}, ${d.files.mismatches.length} mismatched`);
  for (const db of d.databases ?? []) lines.push(`  database   ${db.path}: ${db.status}`);
  return lines;
}

const drillLines = (d: JobDrill) => [`job ${d.jobId} drill settings:`, ...JSON.stringify(d.settings, null, 2).split('\n').map((l) => `  ${l}`), `schedule: ${d.schedule ? `${[...d.schedule.cron, ...d.schedule.intervals.map((i) => `every ${i.everySeconds}s`)].join(', ')}; next: ${d.schedule.nextRuns.join(', ') || '—'}` : 'none'}`];

export function registerDrills(jobs: Command, ctx: CliContext): void {
  covers(
    jobs
      .command('drill')
      .description("start a restore drill: the engine's bounded check, a sample restored and compared file by file, each database dump restored and probed")
      .argument('<id>', 'job id', positiveInt)
      .option('--agent <name>', 'restore the sample on this agent instead of the job\'s')
      .option('--wait', 'follow the drill to its end, print the evidence and exit with its outcome')
      .action(async (id: number, o: { agent?: string; wait?: boolean }) => {
        const accepted = await ctx.api().runJobDrill(id, o.agent ? { agent: o.agent } : {});
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'drill', summary: drillSummary });
      }),
    'runJobDrill',
  );
  covers(
    jobs
      .command('drill-show')
      .description("the job's drill settings and drill schedule (next fire times)")
      .argument('<id>', 'job id', positiveInt)
      .option('--next-runs <n>', 'how many next fire times', positiveInt)
      .action(async (id: number, o: { nextRuns?: number }) => show(ctx, await ctx.api().getJobDrill(id, o.nextRuns), drillLines)),
    'getJobDrill',
  );
  covers(
    withScheduleOptions(
      jobs
        .command('drill-set')
        .description("set the job's drill settings (unset ones take their defaults) and, with --cron/--every, its drill schedule")
        .argument('<id>', 'job id', positiveInt)
        .option('--files <n>', 'sample this many files', wholeNumber)
        .option('--bytes <n>', 'sample at most this many bytes', wholeNumber)
        .option('--newest <n>', 'always include the n newest files', wholeNumber)
        .option('--read-data <percent>', "share of the repository's data the check reads", percentage)
        .option('--archives <n>', 'archives to verify (borg)', wholeNumber)
        .option('--stale-days <n>', 'a drill older than this makes the job drill-stale', wholeNumber)
        .option('--agent <name>', 'restore samples on this agent')
        .option('--probe <configId=query>', 'a query run on a restored database dump (repeatable)', collect),
      false,
    ).action(async (id: number, o: DrillSetOptions) => show(ctx, await ctx.api().setJobDrill(id, drillSettingsRequest(o)), drillLines)),
    'setJobDrill',
  );
  // While the repository is repaired, a drill would only fail and alert: pause its schedule.
  for (const verb of ['pause', 'resume'] as const) {
    covers(
      jobs
        .command(`drill-${verb}`)
        .description(`${verb} the job's drill schedule (drills by hand still run)`)
        .argument('<id>', 'job id', positiveInt)
        .option('--note <text>', 'why, shown with the schedule')
        .action(async (id: number, o: { note?: string }) => show(ctx, await ctx.api().setJobDrillSchedulePaused(id, verb === 'pause', o.note), scheduleLines)),
      verb === 'pause' ? 'pauseJobDrillSchedule' : 'resumeJobDrillSchedule',
    );
  }
}
