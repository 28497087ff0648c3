// Backstop's metrics as Prometheus families, computed from what the catalog says at scrape
// time (catalog/metrics.ts) and the job health GET /v1/jobs shows. Pure: the readings in, the
// families out. Labels are bounded and never secret: job id and name, kind, outcome, agent
// name, repository id and name (never its URL, which may hold credentials), never a run id.
import { RunKind } from '../../contract/model';
import type { JobHealth } from '../../core/job-health';
import type { DrillHealth } from '../../core/drill';
import { agentStatus } from '../../core/agent-health';
import { OUTCOMES, type AgentReading, type RepositoryReading, type RunCountRow, type RunHistogramRow } from '../../catalog/metrics';
import type { NotificationFailureRow } from '../../catalog/notification-metrics';

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
  /** For histograms: `<name>_bucket`, `_sum`, `_count`. */
  metricName?: string;
}

export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  values: Sample[];
}

/** Seconds, from 1 s to a day: quick restores to day-long first backups. */
export const DURATION_BOUNDS = [1, 5, 15, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 43_200, 86_400] as const;
/** Bytes, from 1 kB (an incremental with nothing new) to 1 TB (a first full backup). */
export const BYTES_BOUNDS = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12] as const;

export interface MetricsInput {
  now: Date;
  jobs: ReadonlyArray<{ job: { id: number; name: string }; health: JobHealth & DrillHealth }>;
  runCounts: RunCountRow[];
  durations: RunHistogramRow[];
  addedBytes: RunHistogramRow[];
  awaitingApproval: number;
  agents: AgentReading[];
  repositories: RepositoryReading[];
  /** Failed deliveries per channel (every channel, zeros too). */
  notificationFailures: NotificationFailureRow[];
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
// `job_name`, not `job`: Prometheus' own target label `job` would push ours aside as `exported_job`.
const jobLabels = (j: { id: number; name: string }): Labels => ({ job_id: String(j.id), job_name: j.name });
const ACTIVE_STATUSES = ['queued', 'running', 'awaiting-approval'] as const;

/** Prometheus' `le` for a bound: Go's float formatting, as the client libraries write it. */
export const leOf = (bound: number): string => (bound === Infinity ? '+Inf' : String(bound));

/** A histogram's samples from counts per bound (cumulative), its sum and its count. */
export function histogramSamples(name: string, labels: Labels, bounds: readonly number[], row: RunHistogramRow): Sample[] {
  // Cumulative whatever the rows say: a bound without a count carries the one below it.
  let below = 0;
  const cumulative = bounds.map((b) => (below = Math.max(below, row.buckets.get(b) ?? below)));
  return [
    ...bounds.map((b, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: leOf(b) }, value: cumulative[i]! })),
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: row.count },
    { metricName: `${name}_sum`, labels, value: row.sum },
    { metricName: `${name}_count`, labels, value: row.count },
  ];
}

function jobFamilies(jobs: MetricsInput['jobs']): Family[] {
  return [
    {
      name: 'backstop_job_last_success_timestamp_seconds',
      help: 'When the last backup of the job that stored a snapshot (succeeded or warning) finished; absent until one did.',
      type: 'gauge',
      values: jobs.flatMap(({ job, health }) => (health.lastSuccessAt ? [{ labels: jobLabels(job), value: seconds(health.lastSuccessAt) }] : [])),
    },
    {
      name: 'backstop_job_last_failure_timestamp_seconds',
      help: 'When the last failed backup of the job finished; absent until one did.',
      type: 'gauge',
      values: jobs.flatMap(({ job, health }) => (health.lastFailureAt ? [{ labels: jobLabels(job), value: seconds(health.lastFailureAt) }] : [])),
    },
    {
      name: 'backstop_job_stale',
      help: 'Whether the job is stale as GET /v1/jobs says: no success for more than BACKSTOP_STALE_AFTER_INTERVALS schedule intervals (never for a job without an active schedule).',
      type: 'gauge',
      values: jobs.map(({ job, health }) => ({ labels: jobLabels(job), value: health.stale ? 1 : 0 })),
    },
    {
      name: 'backstop_job_last_run_failed',
      help: "Whether the job's most recently started backup run failed.",
      type: 'gauge',
      values: jobs.map(({ job, health }) => ({ labels: jobLabels(job), value: health.lastRunStatus === 'failed' ? 1 : 0 })),
    },
    ...drillFamilies(jobs),
  ];
}

/** Restore drills (issue 17): the age of each job's last proof, and whether its last drill failed. */
function drillFamilies(jobs: MetricsInput['jobs']): Family[] {
  return [
    {
      name: 'backstop_job_drill_stale',
      help: "Whether the job's restore drills are stale as GET /v1/jobs says: no passing drill for longer than its staleAfterDays (default 7).",
      type: 'gauge',
      values: jobs.map(({ job, health }) => ({ labels: jobLabels(job), value: health.drillStale ? 1 : 0 })),
    },
    {
      name: 'backstop_job_last_drill_pass_timestamp_seconds',
      help: 'When the last passing restore drill of the job finished; absent until one did.',
      type: 'gauge',
      values: jobs.flatMap(({ job, health }) => (health.lastDrillPassAt ? [{ labels: jobLabels(job), value: seconds(health.lastDrillPassAt) }] : [])),
    },
    {
      name: 'backstop_job_last_drill_failed',
      help: "Whether the job's last finished restore drill failed (the damage is in that run's failure reason).",
      type: 'gauge',
      values: jobs.map(({ job, health }) => ({ labels: jobLabels(job), value: health.lastDrill?.outcome === 'failed' ? 1 : 0 })),
    },
  ];
}

function runFamilies(input: MetricsInput): Family[] {
  const count = (kind: string, status: string) => input.runCounts.find((r) => r.kind === kind && r.status === status)?.count ?? 0;
  // Every kind and outcome, zeros too: increase() needs a series before its first run.
  const kinds = Object.values(RunKind);
  return [
    {
      name: 'backstop_runs_total',
      help: 'Finished runs in the catalog, by kind and outcome.',
      type: 'counter',
      values: kinds.flatMap((kind) => OUTCOMES.map((outcome) => ({ labels: { kind, outcome }, value: count(kind, outcome) }))),
    },
    {
      name: 'backstop_runs_active',
      help: 'Runs not finished yet, by kind and status (queued, running, awaiting-approval).',
      type: 'gauge',
      values: kinds.flatMap((kind) => ACTIVE_STATUSES.map((status) => ({ labels: { kind, status }, value: count(kind, status) }))),
    },
    {
      name: 'backstop_run_duration_seconds',
      help: 'Duration of finished runs (start to finish, retries and waits included), by kind and outcome.',
      type: 'histogram',
      values: input.durations.flatMap((r) => histogramSamples('backstop_run_duration_seconds', { kind: r.kind, outcome: r.outcome }, DURATION_BOUNDS, r)),
    },
    {
      name: 'backstop_run_added_bytes',
      help: 'Bytes a finished run added to its repository (runs that report engine stats: backups), by kind and outcome.',
      type: 'histogram',
      values: input.addedBytes.flatMap((r) => histogramSamples('backstop_run_added_bytes', { kind: r.kind, outcome: r.outcome }, BYTES_BOUNDS, r)),
    },
    {
      name: 'backstop_restores_awaiting_approval',
      help: "Restores waiting for an operator's approve or reject.",
      type: 'gauge',
      values: [{ labels: {}, value: input.awaitingApproval }],
    },
  ];
}

function agentFamilies(agents: AgentReading[], now: Date): Family[] {
  // Revoked agents are gone on purpose: no series, so no alert.
  const live = agents.filter((a) => !a.revokedAt);
  return [
    {
      name: 'backstop_agent_up',
      help: 'Whether the agent is reachable: a heartbeat within its last 3 intervals (as GET /v1/agents says). Revoked agents are left out.',
      type: 'gauge',
      values: live.map((a) => ({ labels: { agent: a.name }, value: agentStatus(a, now) === 'reachable' ? 1 : 0 })),
    },
    {
      name: 'backstop_agent_last_seen_timestamp_seconds',
      help: "The agent's last registration or heartbeat; absent if it never reported.",
      type: 'gauge',
      values: live.flatMap((a) => (a.lastSeenAt ? [{ labels: { agent: a.name }, value: seconds(a.lastSeenAt) }] : [])),
    },
  ];
}

function repositoryFamilies(repositories: RepositoryReading[]): Family[] {
  const labels = (r: RepositoryReading): Labels => ({ repository_id: String(r.id), repository: r.name });
  return [
    {
      name: 'backstop_repository_snapshots',
      help: "Snapshots in the repository, as the catalog lists them (kept in step by each backup and each prune's catalog sync).",
      type: 'gauge',
      values: repositories.map((r) => ({ labels: labels(r), value: r.snapshots })),
    },
    {
      name: 'backstop_repository_added_bytes',
      help: "Bytes the backups behind the repository's catalogued snapshots added: an estimate of its size (the catalog records none; data a forgotten snapshot added that kept ones still use is not counted).",
      type: 'gauge',
      values: repositories.map((r) => ({ labels: labels(r), value: r.addedBytes })),
    },
  ];
}

/** Deliveries that ended failed, per channel (every channel, zeros too). */
export function notificationFamily(rows: NotificationFailureRow[]): Family {
  return {
    name: 'backstop_notification_delivery_failures_total',
    help: 'Notification deliveries that failed for good (every attempt refused or unanswered), by channel.',
    type: 'counter',
    values: rows.map((r) => ({ labels: { channel: r.channel, channel_kind: r.kind }, value: r.failed })),
  };
}

export function metricFamilies(input: MetricsInput): Family[] {
  return [...jobFamilies(input.jobs), ...runFamilies(input), ...agentFamilies(input.agents, input.now), ...repositoryFamilies(input.repositories), notificationFamily(input.notificationFailures)];
}
