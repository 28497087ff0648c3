// Job health: when the job last succeeded and failed, how its last run ended, when it
// runs next, and whether it is stale (no success for more than N schedule intervals).
// Pure; the route feeds it the catalog's run summary and the schedule's interval.
import type { RunStatus } from '../contract/model';

export interface JobRunSummary {
  /** Finish time of the last backup run that stored a snapshot (succeeded or warning). */
  lastSuccessAt: string | null;
  /** Finish time of the last failed backup run (cancelled runs are not failures). */
  lastFailureAt: string | null;
  /** Status of the most recently started backup run. */
  lastRunStatus: RunStatus | null;
}

export interface JobHealth extends JobRunSummary {
  nextRunAt: string | null;
  stale: boolean;
}

export interface JobHealthInput {
  runs: JobRunSummary;
  /** When the job was created: a job that never succeeded is stale counting from then. */
  createdAt: string;
  /** The schedule's (nominal) interval; null for a job without a schedule, which is never stale. */
  scheduleIntervalMs: number | null;
  nextRunAt: string | null;
  now: Date;
  staleAfterIntervals: number;
}

export const DEFAULT_STALE_AFTER_INTERVALS = 2;

export function jobHealth(input: JobHealthInput): JobHealth {
  const { runs, scheduleIntervalMs } = input;
  let stale = false;
  if (scheduleIntervalMs !== null && scheduleIntervalMs > 0) {
    const since = Date.parse(runs.lastSuccessAt ?? input.createdAt);
    stale = input.now.getTime() - since > input.staleAfterIntervals * scheduleIntervalMs;
  }
  return { ...runs, nextRunAt: input.nextRunAt, stale };
}

/** BACKSTOP_STALE_AFTER_INTERVALS: a positive number (fractions allowed), default 2. */
export function parseStaleAfterIntervals(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_STALE_AFTER_INTERVALS;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(n > 0)) throw new Error(`BACKSTOP_STALE_AFTER_INTERVALS must be a positive number, not "${raw}"`);
  return n;
}
