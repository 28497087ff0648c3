import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../core/agent-health';
import type { JobHealth } from '../../core/job-health';
import type { DrillHealth } from '../../core/drill';
import type { RunHistogramRow } from '../../catalog/metrics';
import { RunKind } from '../../contract/model';
import { DURATION_BOUNDS, histogramSamples, metricFamilies, notificationFamily, type Family, type MetricsInput } from './families';

const now = new Date('2026-12-03T08:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const health = (h: Partial<JobHealth & DrillHealth>): JobHealth & DrillHealth => ({
  lastSuccessAt: null,
  lastFailureAt: null,
  lastRunStatus: null,
  nextRunAt: null,
  stale: false,
  lastDrill: null,
  lastDrillPassAt: null,
  drillStale: false,
  ...h,
});

const input = (over: Partial<MetricsInput> = {}): MetricsInput => ({
  now,
  jobs: [],
  runCounts: [],
  durations: [],
  addedBytes: [],
  awaitingApproval: 0,
  agents: [],
  repositories: [],
  notificationFailures: [],
  ...over,
});

const family = (families: Family[], name: string): Family => {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
};
const value = (f: Family, labels: Record<string, string>, metricName = f.name) =>
  f.values.find((v) => (v.metricName ?? f.name) === metricName && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;

describe('metricFamilies', () => {
  it('exports each job’s last success and failure in seconds, and only when there was one', () => {
    const fs = metricFamilies(
      input({
        jobs: [
          { job: { id: 1, name: 'home' }, health: health({ lastSuccessAt: '2026-12-03T07:00:00.500Z', lastFailureAt: '2026-12-02T07:00:00Z' }) },
          { job: { id: 2, name: 'never' }, health: health({}) },
        ],
      }),
    );
    const success = family(fs, 'backstop_job_last_success_timestamp_seconds');
    expect(success.values).toEqual([{ labels: { job_id: '1', job_name: 'home' }, value: Date.parse('2026-12-03T07:00:00.500Z') / 1000 }]);
    expect(family(fs, 'backstop_job_last_failure_timestamp_seconds').values).toEqual([{ labels: { job_id: '1', job_name: 'home' }, value: Date.parse('2026-12-02T07:00:00Z') / 1000 }]);
  });

  it('takes staleness from the job health and flags a failed last run', () => {
    const fs = metricFamilies(
      input({
        jobs: [
          { job: { id: 1, name: 'a' }, health: health({ stale: true, lastRunStatus: 'failed' }) },
          { job: { id: 2, name: 'b' }, health: health({ stale: false, lastRunStatus: 'warning' }) },
        ],
      }),
    );
    expect(value(family(fs, 'backstop_job_stale'), { job_id: '1' })).toBe(1);
    expect(value(family(fs, 'backstop_job_stale'), { job_id: '2' })).toBe(0);
    expect(value(family(fs, 'backstop_job_last_run_failed'), { job_id: '1' })).toBe(1);
    expect(value(family(fs, 'backstop_job_last_run_failed'), { job_id: '2' })).toBe(0);
  });

  it('exports each job’s drill staleness, last passing drill and whether its last drill failed', () => {
    const fs = metricFamilies(
      input({
        jobs: [
          { job: { id: 1, name: 'a' }, health: health({ drillStale: true, lastDrill: { runId: 'r', outcome: 'failed', at: ago(1000) }, lastDrillPassAt: '2026-11-20T00:00:00Z' }) },
          { job: { id: 2, name: 'b' }, health: health({}) },
        ],
      }),
    );
    expect(value(family(fs, 'backstop_job_drill_stale'), { job_id: '1' })).toBe(1);
    expect(value(family(fs, 'backstop_job_drill_stale'), { job_id: '2' })).toBe(0);
    expect(value(family(fs, 'backstop_job_last_drill_failed'), { job_id: '1' })).toBe(1);
    expect(value(family(fs, 'backstop_job_last_drill_failed'), { job_id: '2' })).toBe(0);
    expect(family(fs, 'backstop_job_last_drill_pass_timestamp_seconds').values).toEqual([{ labels: { job_id: '1', job_name: 'a' }, value: Date.parse('2026-11-20T00:00:00Z') / 1000 }]);
  });

  it('counts finished runs for every kind and outcome, zeros included, and active runs apart', () => {
    const fs = metricFamilies(
      input({
        runCounts: [
          { kind: 'backup', status: 'succeeded', count: 3 },
          { kind: 'backup', status: 'failed', count: 1 },
          { kind: 'backup', status: 'running', count: 2 },
          { kind: 'restore', status: 'awaiting-approval', count: 1 },
        ],
        awaitingApproval: 1,
      }),
    );
    const runs = family(fs, 'backstop_runs_total');
    expect(runs.type).toBe('counter');
    expect(runs.values).toHaveLength(Object.values(RunKind).length * 4);
    expect(value(runs, { kind: 'backup', outcome: 'succeeded' })).toBe(3);
    expect(value(runs, { kind: 'backup', outcome: 'failed' })).toBe(1);
    expect(value(runs, { kind: 'check', outcome: 'cancelled' })).toBe(0);
    // Active statuses are not outcomes.
    expect(runs.values.some((v) => v.labels.outcome === 'running')).toBe(false);
    expect(value(family(fs, 'backstop_runs_active'), { kind: 'backup', status: 'running' })).toBe(2);
    expect(value(family(fs, 'backstop_restores_awaiting_approval'), {})).toBe(1);
  });

  it('marks agents up from their heartbeats and leaves revoked ones out', () => {
    const fs = metricFamilies(
      input({
        agents: [
          { name: 'fresh', lastSeenAt: ago(1_000), heartbeatIntervalMs: 10_000, revokedAt: null },
          { name: 'silent', lastSeenAt: ago(3 * DEFAULT_HEARTBEAT_INTERVAL_MS + 1), heartbeatIntervalMs: null, revokedAt: null },
          { name: 'never', lastSeenAt: null, heartbeatIntervalMs: null, revokedAt: null },
          { name: 'gone', lastSeenAt: ago(0), heartbeatIntervalMs: null, revokedAt: ago(1) },
        ],
      }),
    );
    const up = family(fs, 'backstop_agent_up');
    expect(up.values).toEqual([
      { labels: { agent: 'fresh' }, value: 1 },
      { labels: { agent: 'silent' }, value: 0 },
      { labels: { agent: 'never' }, value: 0 },
    ]);
    expect(family(fs, 'backstop_agent_last_seen_timestamp_seconds').values.map((v) => v.labels.agent)).toEqual(['fresh', 'silent']);
  });

  it('labels repositories by id and name, never by URL', () => {
    const fs = metricFamilies(input({ repositories: [{ id: 7, name: 'offsite', snapshots: 4, addedBytes: 1234 }] }));
    expect(family(fs, 'backstop_repository_snapshots').values).toEqual([{ labels: { repository_id: '7', repository: 'offsite' }, value: 4 }]);
    expect(family(fs, 'backstop_repository_added_bytes').values).toEqual([{ labels: { repository_id: '7', repository: 'offsite' }, value: 1234 }]);
  });

  it('uses only bounded labels: no run ids, no URLs', () => {
    const fs = metricFamilies(
      input({
        jobs: [{ job: { id: 1, name: 'a' }, health: health({ lastSuccessAt: ago(0) }) }],
        agents: [{ name: 'a', lastSeenAt: ago(0), heartbeatIntervalMs: null, revokedAt: null }],
        repositories: [{ id: 1, name: 'r', snapshots: 1, addedBytes: 1 }],
        durations: [{ kind: 'backup', outcome: 'succeeded', count: 1, sum: 1, buckets: new Map() }],
        notificationFailures: [{ channel: 'ops', kind: 'email', failed: 1 }],
      }),
    );
    const names = new Set(fs.flatMap((f) => f.values.flatMap((v) => Object.keys(v.labels))));
    expect([...names].sort()).toEqual(['agent', 'channel', 'channel_kind', 'job_id', 'job_name', 'kind', 'le', 'outcome', 'repository', 'repository_id', 'status']);
    for (const f of fs) expect(f.name).toMatch(/^backstop_[a-z_]+$/);
  });
});

describe('histogramSamples', () => {
  it('writes every bound, +Inf as the count, the sum and the count', () => {
    const row: RunHistogramRow = { kind: 'backup', outcome: 'succeeded', count: 3, sum: 75, buckets: new Map([[1, 0], [5, 1], [60, 3]]) };
    const samples = histogramSamples('x', { kind: 'backup' }, [1, 5, 60], row);
    expect(samples).toEqual([
      { metricName: 'x_bucket', labels: { kind: 'backup', le: '1' }, value: 0 },
      { metricName: 'x_bucket', labels: { kind: 'backup', le: '5' }, value: 1 },
      { metricName: 'x_bucket', labels: { kind: 'backup', le: '60' }, value: 3 },
      { metricName: 'x_bucket', labels: { kind: 'backup', le: '+Inf' }, value: 3 },
      { metricName: 'x_sum', labels: { kind: 'backup' }, value: 75 },
      { metricName: 'x_count', labels: { kind: 'backup' }, value: 3 },
    ]);
  });

  it('carries a bound the catalog did not answer for from the one below, so buckets stay cumulative', () => {
    const row: RunHistogramRow = { kind: 'prune', outcome: 'failed', count: 2, sum: 10, buckets: new Map([[5, 1], [15, 2]]) };
    const buckets = histogramSamples('d', {}, DURATION_BOUNDS, row).filter((s) => s.metricName === 'd_bucket').map((s) => s.value);
    expect(buckets.slice(0, 4)).toEqual([0, 1, 2, 2]);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
  });
});

describe('notificationFamily', () => {
  it('has one sample per channel, none without channels', () => {
    expect(notificationFamily([]).values).toEqual([]);
    expect(notificationFamily([{ channel: 'ops mail', kind: 'email', failed: 2 }]).values).toEqual([{ labels: { channel: 'ops mail', channel_kind: 'email' }, value: 2 }]);
  });
});
