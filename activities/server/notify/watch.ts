// The health watch's judgement, pure: what each job and agent looks like now, and which of
// them turned bad since the last look (a stale job, an unreachable agent). An event is raised
// on the change only: a job stale for a week raises job.stale once, and again only after it
// has succeeded in between (even if no look saw it fresh).
import type { Agent, Job } from '../../../contract/model';
import { jobHealth, type JobRunSummary } from '../../../core/job-health';
import { drillHealth, type DrillRunSummary } from '../../../core/drill';

export interface Observation {
  /** 'job:<id>', 'drill:<job id>' or 'agent:<name>': the watch's memory is keyed on it. */
  subject: string;
  event: 'job.stale' | 'agent.unreachable' | 'drill.stale';
  bad: boolean;
  /**
   * When the state began, read from the data (the last success, the last heartbeat), not
   * from the clock: every look at the same episode names the same moment, so a retried look
   * starts the same delivery workflow and a channel hears of an episode once.
   */
  since: string;
  jobId: number | null;
  repositoryId: number | null;
  agent: string | null;
}

/** A revoked agent is gone on purpose: never reported unreachable. */
export function observeAgent(a: Pick<Agent, 'name' | 'status' | 'lastSeenAt' | 'createdAt'>): Observation {
  return {
    subject: `agent:${a.name}`,
    event: 'agent.unreachable',
    bad: a.status === 'unreachable',
    since: a.lastSeenAt ?? a.createdAt,
    jobId: null,
    repositoryId: null,
    agent: a.name,
  };
}

/**
 * The interval between a schedule's next two fire times, as GET /v1/jobs judges staleness
 * (api/job-schedule-info.ts); none for a paused schedule or one Temporal does not know.
 */
export function scheduleIntervalMs(paused: boolean, nextRuns: readonly string[]): number | null {
  const [next, after] = nextRuns;
  return paused || !next || !after ? null : Date.parse(after) - Date.parse(next);
}

export function observeJob(
  job: Pick<Job, 'id' | 'repositoryId' | 'createdAt'>,
  runs: JobRunSummary,
  intervalMs: number | null,
  now: Date,
  staleAfterIntervals: number,
): Observation {
  const { stale } = jobHealth({ runs, createdAt: job.createdAt, scheduleIntervalMs: intervalMs, nextRunAt: null, now, staleAfterIntervals });
  return {
    subject: `job:${job.id}`,
    event: 'job.stale',
    bad: stale,
    since: runs.lastSuccessAt ?? job.createdAt,
    jobId: job.id,
    repositoryId: job.repositoryId,
    agent: null,
  };
}

/**
 * A job's restore drills, judged as GET /v1/jobs judges them (core/drill.ts): stale since the
 * last passing drill (or the job's creation), so a passing drill ends the spell.
 */
export function observeDrills(job: Pick<Job, 'id' | 'repositoryId' | 'createdAt'>, runs: DrillRunSummary, staleAfterDays: number, now: Date): Observation {
  const { drillStale } = drillHealth({ runs, createdAt: job.createdAt, staleAfterDays, now });
  return {
    subject: `drill:${job.id}`,
    event: 'drill.stale',
    bad: drillStale,
    since: runs.lastPassAt ?? job.createdAt,
    jobId: job.id,
    repositoryId: job.repositoryId,
    agent: null,
  };
}

/**
 * The observations that turned bad since the last look: good before, never seen before, or
 * bad in a new spell (a success or a heartbeat came and went between two looks: its `since`
 * moved). A subject bad in the same spell as last time raises nothing.
 */
export function turnedBad(previous: ReadonlyMap<string, { bad: boolean; since: string }>, now: readonly Observation[]): Observation[] {
  return now.filter((o) => {
    const before = previous.get(o.subject);
    return o.bad && (!before?.bad || Date.parse(before.since) !== Date.parse(o.since));
  });
}
