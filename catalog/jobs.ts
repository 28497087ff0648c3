// The jobs aggregate: backup jobs, their retention policy, and what their backup runs say
// about their health (core/job-health.ts decides the health from that).
import type { Job, JobMode, RunStatus, SnapshotMode } from '../contract/model';
import type { JobRunSummary } from '../core/job-health';
import type { DrillRunSummary } from '../core/drill';
import type { DrillSettings } from '../contract/drill';
import type { RetentionPolicy } from '../contract/retention';
import type { GuestSource, JobKind } from '../contract/guest';
import { NotFoundError } from '../contract/errors';
import type { Session } from './db';
import { iso, isoOrNull, jsonParam, one, orNull, rethrowUnique, type Row } from './rows';

/** A new job's row: the job's own fields, its agent by id. */
export type JobWrite = Pick<Job, 'name' | 'repositoryId' | 'paths' | 'excludes' | 'snapshotMode' | 'mode' | 'preScript' | 'postHook'> &
  Partial<Pick<Job, 'kind' | 'guest'>> & { agentId: number };

// --- rows ----------------------------------------------------------------------------
export const jobFromRow = (r: Row): Job => ({
  id: Number(r.id),
  name: String(r.name),
  agentName: String(r.agent_name),
  repositoryId: Number(r.repository_id),
  // Rows from before migration 018 read as files jobs.
  kind: (r.kind ?? 'files') as JobKind,
  guest: orNull<GuestSource>(r.guest),
  paths: r.paths as string[],
  excludes: r.excludes as string[],
  snapshotMode: r.snapshot_mode as SnapshotMode,
  mode: r.mode as JobMode,
  preScript: orNull<string>(r.pre_script),
  postHook: orNull<string>(r.post_hook),
  retention: orNull<RetentionPolicy>(r.retention),
  createdAt: iso(r.created_at),
});

export const jobRunSummaryFromRow = (r: Row): JobRunSummary => ({
  lastSuccessAt: isoOrNull(r.last_success_at),
  lastFailureAt: isoOrNull(r.last_failure_at),
  lastRunStatus: orNull<RunStatus>(r.last_run_status),
});

const JOB_SELECT = `SELECT j.*, a.name AS agent_name FROM jobs j JOIN agents a ON a.id = j.agent_id`;

// --- queries -------------------------------------------------------------------------
export class Jobs {
  constructor(private readonly s: Session) {}

  async insert(j: JobWrite): Promise<number> {
    try {
      const { rows } = await this.s.q.query<{ id: string }>(
        `INSERT INTO jobs (name, agent_id, repository_id, paths, excludes, snapshot_mode, mode, pre_script, post_hook, kind, guest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        [j.name, j.agentId, j.repositoryId, j.paths, j.excludes, j.snapshotMode, j.mode, j.preScript, j.postHook, j.kind ?? 'files', jsonParam(j.guest ?? null)],
      );
      return Number(rows[0]!.id);
    } catch (err) {
      rethrowUnique(err, 'a job with this name already exists');
    }
  }

  async get(id: number): Promise<Job> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} WHERE j.id = $1`, [id]);
    return jobFromRow(one(rows, `job ${id}`));
  }

  async list(): Promise<Job[]> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} ORDER BY j.id`);
    return rows.map(jobFromRow);
  }

  async listOfRepository(repositoryId: number): Promise<Job[]> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} WHERE j.repository_id = $1 ORDER BY j.id`, [repositoryId]);
    return rows.map(jobFromRow);
  }

  /** Sets (or, with null, clears) a job's retention policy; validate it first. */
  async setRetention(id: number, retention: RetentionPolicy | null): Promise<void> {
    const { rowCount } = await this.s.q.query('UPDATE jobs SET retention = $2 WHERE id = $1', [id, jsonParam(retention)]);
    if (!rowCount) throw new NotFoundError(`job ${id} not found`);
  }

  /** The drill settings that were set for the job (validated when set); null: every default. */
  async drillSettings(id: number): Promise<Partial<DrillSettings> | null> {
    const { rows } = await this.s.q.query('SELECT drill_settings FROM jobs WHERE id = $1', [id]);
    return orNull<Partial<DrillSettings>>(one(rows, `job ${id}`).drill_settings);
  }

  /** The drill settings of each job that has some set (the others run on the defaults). */
  async drillSettingsOf(jobIds: number[]): Promise<Map<number, Partial<DrillSettings>>> {
    const { rows } = await this.s.q.query('SELECT id, drill_settings FROM jobs WHERE id = ANY($1::bigint[]) AND drill_settings IS NOT NULL', [jobIds]);
    return new Map(rows.map((r) => [Number(r.id), r.drill_settings as Partial<DrillSettings>]));
  }

  /** Stores what was set of a job's drill settings (validate first); null goes back to the defaults. */
  async setDrillSettings(id: number, settings: Partial<DrillSettings> | null): Promise<void> {
    const { rowCount } = await this.s.q.query('UPDATE jobs SET drill_settings = $2 WHERE id = $1', [id, jsonParam(settings)]);
    if (!rowCount) throw new NotFoundError(`job ${id} not found`);
  }

  /** Drill runs of each job: the last finished one, when the last passing one finished, and whether one is under way. */
  async drillSummaries(jobIds: number[]): Promise<Map<number, DrillRunSummary>> {
    const { rows } = await this.s.q.query(
      `SELECT j.id AS job_id, last.id AS last_id, last.status AS last_status, last.finished_at AS last_at,
              (SELECT max(finished_at) FROM runs r WHERE r.job_id = j.id AND r.kind = 'drill' AND r.status IN ('succeeded', 'warning')) AS last_pass_at,
              (SELECT max(started_at) FROM runs r WHERE r.job_id = j.id AND r.kind = 'drill' AND r.status IN ('queued', 'running')) AS running_since
         FROM jobs j
         LEFT JOIN LATERAL (SELECT id, status, finished_at FROM runs r WHERE r.job_id = j.id AND r.kind = 'drill' AND r.finished_at IS NOT NULL
                             ORDER BY r.finished_at DESC, r.id DESC LIMIT 1) last ON true
        WHERE j.id = ANY($1::bigint[])`,
      [jobIds],
    );
    return new Map(
      rows.map((r) => [
        Number(r.job_id),
        {
          lastDrill: r.last_id ? { runId: String(r.last_id), outcome: r.last_status as RunStatus, at: iso(r.last_at) } : null,
          lastPassAt: isoOrNull(r.last_pass_at),
          runningSince: isoOrNull(r.running_since),
        },
      ]),
    );
  }

  /** Backup runs of each job: last success, last failure, the last run's status. */
  async runSummaries(jobIds: number[]): Promise<Map<number, JobRunSummary>> {
    const { rows } = await this.s.q.query(
      `SELECT j.id AS job_id,
              (SELECT max(finished_at) FROM runs r WHERE r.job_id = j.id AND r.kind = 'backup' AND r.status IN ('succeeded', 'warning')) AS last_success_at,
              (SELECT max(finished_at) FROM runs r WHERE r.job_id = j.id AND r.kind = 'backup' AND r.status = 'failed') AS last_failure_at,
              (SELECT status FROM runs r WHERE r.job_id = j.id AND r.kind = 'backup' ORDER BY started_at DESC, id DESC LIMIT 1) AS last_run_status
         FROM jobs j WHERE j.id = ANY($1::bigint[])`,
      [jobIds],
    );
    return new Map(rows.map((r) => [Number(r.job_id), jobRunSummaryFromRow(r)]));
  }
}
