// The catalog's side of job health: what a job's backup runs say (core/job-health.ts).
import type { Queryable } from './db';
import type { RunStatus } from '../contract/model';
import type { JobRunSummary } from '../core/job-health';

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/** Backup runs of each job: last success, last failure, the last run's status. */
export async function jobRunSummaries(q: Queryable, jobIds: number[]): Promise<Map<number, JobRunSummary>> {
  const { rows } = await q.query(
    `SELECT j.id AS job_id,
            (SELECT max(finished_at) FROM runs r WHERE r.job_id = j.id AND r.kind = 'backup' AND r.status IN ('succeeded', 'warning')) AS last_success_at,
            (SELECT max(finished_at) FROM runs r WHERE r.job_id = j.id AND r.kind = 'backup' AND r.status = 'failed') AS last_failure_at,
            (SELECT status FROM runs r WHERE r.job_id = j.id AND r.kind = 'backup' ORDER BY started_at DESC, id DESC LIMIT 1) AS last_run_status
       FROM jobs j WHERE j.id = ANY($1::bigint[])`,
    [jobIds],
  );
  const out = new Map<number, JobRunSummary>();
  for (const r of rows as Array<Record<string, unknown>>) {
    out.set(Number(r.job_id), {
      lastSuccessAt: r.last_success_at == null ? null : iso(r.last_success_at),
      lastFailureAt: r.last_failure_at == null ? null : iso(r.last_failure_at),
      lastRunStatus: (r.last_run_status as RunStatus | null) ?? null,
    });
  }
  return out;
}
