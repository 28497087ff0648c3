// What /metrics reads from the catalog, at scrape time: counts and sums over runs, agents,
// repositories and snapshots. Read-only and aggregated in SQL, so a scrape costs a few
// queries whatever the number of runs, and every API process answers the same numbers.
import { REPOSITORY_USAGE_COLUMNS } from './repositories';
import type { Session } from './db';
import { isoOrNull, numOrNull, type Row } from './rows';
import { notificationDeliveryFailures, type NotificationFailureRow } from './notification-metrics';

/** Finished runs of one kind and outcome: how many, and a histogram of one value. */
export interface RunHistogramRow {
  kind: string;
  outcome: string;
  count: number;
  sum: number;
  /** Upper bound → runs with a value at or below it (cumulative, as Prometheus' `le`). */
  buckets: Map<number, number>;
}

export interface RunCountRow {
  kind: string;
  status: string;
  count: number;
}

export interface AgentReading {
  name: string;
  lastSeenAt: string | null;
  heartbeatIntervalMs: number | null;
  revokedAt: string | null;
}

export interface RepositoryReading {
  id: number;
  name: string;
  snapshots: number;
  /** Bytes the backups behind its catalogued snapshots added (restic's `data_added`). */
  addedBytes: number;
}

/** The outcomes a finished run can have (RunStatus minus the active ones). */
export const OUTCOMES = ['succeeded', 'warning', 'failed', 'cancelled'] as const;

export const histogramRowsFrom = (totals: Row[], buckets: Row[]): RunHistogramRow[] => {
  const key = (r: Row) => `${String(r.kind)}\u0000${String(r.status)}`;
  const byKey = new Map<string, RunHistogramRow>();
  for (const r of totals) byKey.set(key(r), { kind: String(r.kind), outcome: String(r.status), count: Number(r.count), sum: Number(r.sum), buckets: new Map() });
  for (const r of buckets) byKey.get(key(r))?.buckets.set(Number(r.le), Number(r.below));
  return [...byKey.values()];
};

export class MetricsReadings {
  constructor(private readonly s: Session) {}

  /** Runs by kind and status, finished or not. */
  async runCounts(): Promise<RunCountRow[]> {
    const { rows } = await this.s.q.query('SELECT kind, status, count(*)::bigint AS count FROM runs GROUP BY kind, status');
    return rows.map((r) => ({ kind: String(r.kind), status: String(r.status), count: Number(r.count) }));
  }

  /** Finished runs' duration in seconds, by kind and outcome, counted into `bounds`. */
  runDurations(bounds: readonly number[]): Promise<RunHistogramRow[]> {
    return this.histogram('extract(epoch FROM finished_at - started_at)::float8', 'finished_at IS NOT NULL', bounds);
  }

  /** Finished runs' bytes added to the repository (runs that report stats: backups), by kind and outcome. */
  runAddedBytes(bounds: readonly number[]): Promise<RunHistogramRow[]> {
    return this.histogram("(stats->>'dataAdded')::float8", "finished_at IS NOT NULL AND stats ? 'dataAdded'", bounds);
  }

  private async histogram(value: string, where: string, bounds: readonly number[]): Promise<RunHistogramRow[]> {
    // `value` and `where` are the constants above, never input.
    const finished = `SELECT kind, status, ${value} AS v FROM runs WHERE status = ANY($1::text[]) AND ${where}`;
    const [totals, buckets] = await Promise.all([
      this.s.q.query(`SELECT kind, status, count(*)::bigint AS count, coalesce(sum(v), 0)::float8 AS sum FROM (${finished}) f GROUP BY kind, status`, [OUTCOMES]),
      this.s.q.query(
        `SELECT f.kind, f.status, b.le, count(*) FILTER (WHERE f.v <= b.le)::bigint AS below
           FROM (${finished}) f CROSS JOIN unnest($2::float8[]) AS b(le) GROUP BY f.kind, f.status, b.le`,
        [OUTCOMES, bounds],
      ),
    ]);
    return histogramRowsFrom(totals.rows, buckets.rows);
  }

  /** Restores (and database restores) waiting for an operator's approval. */
  async awaitingApproval(): Promise<number> {
    const { rows } = await this.s.q.query("SELECT count(*)::bigint AS n FROM runs WHERE status = 'awaiting-approval'");
    return Number(rows[0]!.n);
  }

  async agents(): Promise<AgentReading[]> {
    const { rows } = await this.s.q.query('SELECT name, last_seen_at, heartbeat_interval_ms, revoked_at FROM agents ORDER BY name');
    return rows.map((r) => ({ name: String(r.name), lastSeenAt: isoOrNull(r.last_seen_at), heartbeatIntervalMs: numOrNull(r.heartbeat_interval_ms), revokedAt: isoOrNull(r.revoked_at) }));
  }

  /** Every repository with its catalogued snapshots and the bytes their backups added. */
  async repositories(): Promise<RepositoryReading[]> {
    const { rows } = await this.s.q.query(
      `SELECT p.id, p.name, ${REPOSITORY_USAGE_COLUMNS} FROM repositories p WHERE p.deleted_at IS NULL ORDER BY p.id`,
    );
    return rows.map((r) => ({ id: Number(r.id), name: String(r.name), snapshots: Number(r.snapshots), addedBytes: Number(r.added_bytes) }));
  }

  /** Failed notification deliveries per channel; null before the catalog has the tables (migration 015). */
  notificationFailures(): Promise<NotificationFailureRow[]> {
    return notificationDeliveryFailures(this.s.q);
  }
}
