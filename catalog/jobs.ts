// The jobs aggregate: backup jobs, their retention policy, and what their backup runs say
// about their health (core/job-health.ts decides the health from that).
import type { Job, JobMode, RunStatus, SnapshotMode } from '../contract/model';
import type { JobRunSummary } from '../core/job-health';
import type { DrillRunSummary } from '../core/drill';
import type { DrillSettings } from '../contract/drill';
import type { RetentionPolicy } from '../contract/retention';
import type { GuestSource, JobKind } from '../contract/guest';
import type { ContainerSource } from '../contract/container';
import { NotFoundError } from '../contract/errors';
import type { Session } from './db';
import { iso, isoOrNull, jsonParam, one, orNull, rethrowUnique, type Row } from './rows';

/** A new job's row: the job's own fields, its agent by id. */
export type JobWrite = Pick<Job, 'name' | 'repositoryId' | 'paths' | 'excludes' | 'snapshotMode' | 'mode' | 'preScript' | 'postHook'> &
  Partial<Pick<Job, 'kind' | 'guest' | 'container'>> & { agentId: number };

// --- rows ----------------------------------------------------------------------------
export const jobFromRow = (r: Row): Job => ({
  id: Number(r.id),
  name: String(r.name),
  agentName: String(r.agent_name),
  repositoryId: Number(r.repository_id),
  // Rows from before migration 020 read as files jobs.
  kind: (r.kind ?? 'files') as JobKind,
  guest: orNull<GuestSource>(r.guest),
  // Rows from before migration 021 have no container column.
  container: orNull<ContainerSource>(r.container),
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

/**
 * What PATCH /v1/jobs/{id} may change: the job's own fields (its repository holds its snapshots
 * and stays; its kind too, and a guest job's guest is not edited yet).
 */
export type JobUpdate = Partial<Omit<JobWrite, 'repositoryId' | 'kind' | 'guest' | 'container'>>;

const UPDATE_COLUMNS: Record<keyof JobUpdate, string> = {
  name: 'name',
  agentId: 'agent_id',
  paths: 'paths',
  excludes: 'excludes',
  snapshotMode: 'snapshot_mode',
  mode: 'mode',
  preScript: 'pre_script',
  postHook: 'post_hook',
};

/** One of a job's latest backup runs, for a strip of outcomes. */
export interface RecentRun {
  runId: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
}

/** A run of the job that has not finished, by id and kind (a job with one is not deleted). */
export interface ActiveRunRef {
  id: string;
  kind: string;
  status: RunStatus;
}

// --- queries -------------------------------------------------------------------------
export class Jobs {
  constructor(private readonly s: Session) {}

  async insert(j: JobWrite): Promise<number> {
    try {
      const { rows } = await this.s.q.query<{ id: string }>(
        `INSERT INTO jobs (name, agent_id, repository_id, paths, excludes, snapshot_mode, mode, pre_script, post_hook, kind, guest, container)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
        [j.name, j.agentId, j.repositoryId, j.paths, j.excludes, j.snapshotMode, j.mode, j.preScript, j.postHook, j.kind ?? 'files', jsonParam(j.guest ?? null), jsonParam(j.container ?? null)],
      );
      return Number(rows[0]!.id);
    } catch (err) {
      rethrowUnique(err, 'a job with this name already exists');
    }
  }

  /** A live job; a deleted one is NotFound, saying when it was deleted. `lock` holds its row to the transaction's end. */
  async get(id: number, opts: { lock?: boolean } = {}): Promise<Job> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} WHERE j.id = $1${opts.lock ? ' FOR UPDATE OF j' : ''}`, [id]);
    const row = one(rows, `job ${id}`);
    if (row.deleted_at) throw new NotFoundError(`job ${id} was deleted at ${iso(row.deleted_at)}; its runs and snapshots remain`);
    return jobFromRow(row);
  }

  /**
   * A job, also a deleted one: what its snapshots' restores need (the agent that made them).
   * Everything that acts on the job itself uses get().
   */
  async getIncludingDeleted(id: number): Promise<Job> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} WHERE j.id = $1`, [id]);
    return jobFromRow(one(rows, `job ${id}`));
  }

  async list(): Promise<Job[]> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} WHERE j.deleted_at IS NULL ORDER BY j.id`);
    return rows.map(jobFromRow);
  }

  async listOfRepository(repositoryId: number): Promise<Job[]> {
    const { rows } = await this.s.q.query(`${JOB_SELECT} WHERE j.repository_id = $1 AND j.deleted_at IS NULL ORDER BY j.id`, [repositoryId]);
    return rows.map(jobFromRow);
  }

  /** Changes the fields given (validate first); the name stays unique among live jobs. */
  async update(id: number, u: JobUpdate): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    for (const [key, column] of Object.entries(UPDATE_COLUMNS) as Array<[keyof JobUpdate, string]>) {
      if (u[key] === undefined) continue;
      values.push(u[key]);
      sets.push(`${column} = $${values.length}`);
    }
    if (sets.length === 0) return;
    try {
      const { rowCount } = await this.s.q.query(`UPDATE jobs SET ${sets.join(', ')} WHERE id = $1 AND deleted_at IS NULL`, values);
      if (!rowCount) throw new NotFoundError(`job ${id} not found`);
    } catch (err) {
      rethrowUnique(err, 'a job with this name already exists');
    }
  }

  /** Marks the job deleted; its row stays for the runs and snapshots that name it. */
  async markDeleted(id: number): Promise<void> {
    const { rowCount } = await this.s.q.query('UPDATE jobs SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
    if (!rowCount) throw new NotFoundError(`job ${id} not found`);
    // What only a live job has: its links to scripts and plugin configurations (so those can
    // be deleted later) and notification rules about it. Its schedules go with the caller.
    await this.s.q.query('DELETE FROM job_scripts WHERE job_id = $1', [id]);
    await this.s.q.query('DELETE FROM job_plugin_configs WHERE job_id = $1', [id]);
    await this.s.q.query('DELETE FROM notification_rules WHERE job_id = $1', [id]);
  }

  /** The job's runs that have not finished (queued, awaiting approval, running). */
  async activeRuns(id: number): Promise<ActiveRunRef[]> {
    const { rows } = await this.s.q.query(
      `SELECT id, kind, status FROM runs WHERE job_id = $1 AND status IN ('queued', 'awaiting-approval', 'running') ORDER BY started_at`,
      [id],
    );
    return rows.map((r) => ({ id: String(r.id), kind: String(r.kind), status: r.status as RunStatus }));
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

  /** The last `n` backup runs of each job, oldest first (the console's strip of outcomes). */
  async recentRuns(jobIds: number[], n: number): Promise<Map<number, RecentRun[]>> {
    const { rows } = await this.s.q.query(
      `SELECT job_id, id, status, started_at, finished_at FROM (
         SELECT r.job_id, r.id, r.status, r.started_at, r.finished_at,
                row_number() OVER (PARTITION BY r.job_id ORDER BY r.started_at DESC, r.id DESC) AS nth
           FROM runs r WHERE r.job_id = ANY($1::bigint[]) AND r.kind = 'backup') recent
        WHERE nth <= $2 ORDER BY job_id, started_at, id`,
      [jobIds, n],
    );
    const out = new Map<number, RecentRun[]>();
    for (const r of rows) {
      const list = out.get(Number(r.job_id)) ?? [];
      list.push({ runId: String(r.id), status: r.status as RunStatus, startedAt: iso(r.started_at), finishedAt: isoOrNull(r.finished_at) });
      out.set(Number(r.job_id), list);
    }
    return out;
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
