// A job's restore drills, the rules around the runs (pure): when a job drills by default,
// and whether its last proof is too old (drillStale). The API, /metrics and the health
// watch all judge with drillHealth, so they cannot disagree.
import type { RunStatus } from '../contract/model';
import type { ScheduleDefinition } from './schedule';

export const WEEK_SECONDS = 7 * 86_400;

/**
 * When in the week a job drills by default: a whole minute derived from the job id, so the
 * drills of many jobs spread over the week instead of all starting at one moment. Migration
 * 016 computes the same for the jobs that existed before drills (keep the two in step:
 * core/drill.test.ts holds them together).
 */
export function drillScheduleOffsetSeconds(jobId: number): number {
  return ((jobId * 7919) % 10_080) * 60;
}

/** Every 7 days at the job's minute of the week (UTC), never two at once (overlap skip). */
export function defaultDrillSchedule(jobId: number): ScheduleDefinition {
  return { intervals: [{ everySeconds: WEEK_SECONDS, offsetSeconds: drillScheduleOffsetSeconds(jobId) }] };
}

/** What the catalog says about a job's drill runs. */
export interface DrillRunSummary {
  /** The last finished drill: its run, outcome and finish time. */
  lastDrill: { runId: string; outcome: RunStatus; at: string } | null;
  /** When the last passing drill (succeeded or warning) finished. */
  lastPassAt: string | null;
  /** When the newest drill still under way started; null when none is. */
  runningSince: string | null;
}

export interface DrillHealth {
  lastDrill: DrillRunSummary['lastDrill'];
  lastDrillPassAt: string | null;
  drillStale: boolean;
}

/**
 * Room for a scheduled drill to start and finish before its job counts as stale: with a
 * weekly schedule and a 7-day limit, the last proof is a little over 7 days old each week
 * while the next drill is being scheduled and run.
 */
export const DRILL_STALE_GRACE_MS = 3_600_000;

export interface DrillHealthInput {
  runs: DrillRunSummary;
  /** A job that never passed a drill is judged from its creation. */
  createdAt: string;
  staleAfterDays: number;
  now: Date;
}

/**
 * drillStale: no passing drill for longer than `staleAfterDays` (plus the grace), and no drill
 * under way that started within that time (one running for longer than the limit does not
 * hide the staleness).
 */
export function drillHealth(input: DrillHealthInput): DrillHealth {
  const limitMs = input.staleAfterDays * 86_400_000 + DRILL_STALE_GRACE_MS;
  const now = input.now.getTime();
  const since = Date.parse(input.runs.lastPassAt ?? input.createdAt);
  const running = input.runs.runningSince !== null && now - Date.parse(input.runs.runningSince) <= limitMs;
  return { lastDrill: input.runs.lastDrill, lastDrillPassAt: input.runs.lastPassAt, drillStale: !running && now - since > limitMs };
}
