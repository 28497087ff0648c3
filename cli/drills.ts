// `backstop jobs drill|drill-show|drill-set`: restore drills of a job (issue 17) — start one
// (optionally on another agent, waiting for its verdict), show the settings and schedule,
// set them.
import type { components } from '../contract/generated/api-schema';
import type { ApiClient, ApiRun } from '../core/api-client';
import { flag, flags, positiveInt } from './args';
import { parseScheduleFlags } from './schedules';

type DrillSettingsSet = components['schemas']['DrillSettingsSet'];
type JobDrill = components['schemas']['JobDrill'];

export const DRILL_USAGE = `  jobs drill <id> [--agent <name>] [--wait]
                          start a restore drill of job <id>: the engine's bounded check, a
                          sample restored and compared file by file, each database dump
                          restored and probed; --wait prints the evidence, exits 1 if it failed
  jobs drill-show <id>    the job's drill settings and drill schedule (next fire times)
  jobs drill-set <id> [--files <n>] [--bytes <n>] [--newest <n>] [--read-data <percent>]
                      [--archives <n>] [--stale-days <n>] [--agent <name>]
                      [--probe <config id>=<query>]… [--cron '<expr>'… | --every <seconds>] [--tz <zone>]
                          set job <id>'s drill settings (unset ones take their defaults) and,
                          with --cron/--every, its drill schedule
  jobs drill-pause <id> [--note <text>]   pause job <id>'s drill schedule (while its repository is
                          repaired); jobs drill-resume <id> resumes it`;

function count(args: string[], name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number`);
  return Number(v);
}

/** The settings the flags describe (pure; the API checks the bounds). */
export function parseDrillFlags(args: string[]): DrillSettingsSet {
  const readData = flag(args, '--read-data');
  if (readData !== undefined && !/^\d+(\.\d)?$/.test(readData)) throw new Error('--read-data must be a percentage such as 5 or 2.5');
  const probes: Record<string, string> = {};
  for (const p of flags(args, '--probe')) {
    const m = /^([1-9]\d*)=([\s\S]+)$/.exec(p);
    if (!m) throw new Error('--probe takes <plugin config id>=<query>');
    probes[m[1]!] = m[2]!;
  }
  const scheduled = flags(args, '--cron').length > 0 || flag(args, '--every') !== undefined;
  const set: DrillSettingsSet = {
    sampleFiles: count(args, '--files'),
    sampleBytes: count(args, '--bytes'),
    newestFiles: count(args, '--newest'),
    readDataPercent: readData === undefined ? undefined : Number(readData),
    verifyArchives: count(args, '--archives'),
    staleAfterDays: count(args, '--stale-days'),
    agent: flag(args, '--agent'),
    ...(Object.keys(probes).length > 0 ? { probes } : {}),
    ...(scheduled ? { schedule: parseScheduleFlags(args) } : {}),
  };
  return Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) as DrillSettingsSet;
}

function printDrill(d: JobDrill): void {
  console.log(JSON.stringify(d, null, 2));
}

/** What a finished drill proved (or did not), in a few lines. */
export function drillSummary(run: ApiRun): string[] {
  const d = (run.details ?? {}) as { snapshot?: { id: string } | null; integrity?: { scope: string; passed: boolean } | null; files?: { filesChecked: number; bytesChecked: number; mismatches: unknown[]; restoredOn: string } | null; databases?: Array<{ path: string; status: string }> };
  const lines = [`drill ${run.id}: ${run.status}${run.failureReason ? ` — ${run.failureReason}` : ''}`];
  if (d.snapshot) lines.push(`  snapshot   ${d.snapshot.id}`);
  if (d.integrity) lines.push(`  check      ${d.integrity.scope}: ${d.integrity.passed ? 'passed' : 'damage found'}`);
  if (d.files) lines.push(`  files      ${d.files.filesChecked} checked (${d.files.bytesChecked} bytes) on ${d.files.restoredOn}, ${d.files.mismatches.length} mismatched`);
  for (const db of d.databases ?? []) lines.push(`  database   ${db.path}: ${db.status}`);
  return lines;
}

export async function drillCommand(api: Pick<ApiClient, 'runJobDrill' | 'getJobDrill' | 'setJobDrill' | 'setJobDrillSchedulePaused' | 'waitForRun'>, sub: string, args: string[]): Promise<number> {
  const jobId = positiveInt(args[0], 'job id');
  if (sub === 'drill-show') {
    printDrill(await api.getJobDrill(jobId));
    return 0;
  }
  if (sub === 'drill-pause' || sub === 'drill-resume') {
    const schedule = await api.setJobDrillSchedulePaused(jobId, sub === 'drill-pause', flag(args, '--note'));
    console.log(`drill schedule ${schedule.scheduleId}: ${schedule.paused ? 'paused' : 'running'}`);
    return 0;
  }
  if (sub === 'drill-set') {
    printDrill(await api.setJobDrill(jobId, parseDrillFlags(args.slice(1))));
    return 0;
  }
  const agent = flag(args, '--agent');
  const accepted = await api.runJobDrill(jobId, agent ? { agent } : {});
  console.log(`drill ${accepted.runId} started (workflow ${accepted.workflowId})`);
  if (!args.includes('--wait')) return 0;
  const run = await api.waitForRun(accepted.runId);
  for (const line of drillSummary(run)) console.log(line);
  return run.status === 'succeeded' || run.status === 'warning' ? 0 : 1;
}
