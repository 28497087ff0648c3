// The runs aggregate: one row per workflow run (backup, restore, prune, sync, …), its
// lifecycle from queued to finished, cancel requests and the idempotency keys that started it.
import type { BackupStats, Run, RunKind, RunStatus } from '../contract/model';
import type { Session } from './db';
import { affected, iso, isoOrNull, jsonParam, keysetPage, numOrNull, one, orNull, type Row } from './rows';

/** A run as its workflow starts it; kind defaults to backup. */
export interface NewRun {
  id: string;
  workflowId: string;
  kind?: RunKind;
  jobId?: number | null;
  repositoryId?: number | null;
  agentName?: string | null;
  /** Where the run's engine runs; `agent` (the default) lets a restore's target agent fetch the secret. */
  engineSite?: 'agent' | 'server';
}

export interface RunOutcome {
  id: string;
  status: RunStatus;
  snapshotId: string | null;
  stats: BackupStats | null;
  warnings: string[];
  failureReason: string | null;
  details?: Record<string, unknown> | null;
}

/** An Idempotency-Key (`scope` names what it is for) and the run it starts. */
export interface IdempotencyReservation {
  key: string;
  scope: string;
  runId: string;
  workflowId: string;
}

/** The position after which a page of runs starts (see api/run-cursor.ts). */
export interface RunPageKey {
  startedUs: string;
  id: string;
}

export interface RunFilter {
  jobId?: number;
  repositoryId?: number;
  kind?: RunKind;
  agentName?: string;
  status?: RunStatus;
  /** started_at >= since */
  since?: string;
  /** started_at < until */
  until?: string;
  after?: RunPageKey;
  limit: number;
}

// --- rows ----------------------------------------------------------------------------
export const runFromRow = (r: Row): Run => ({
  id: String(r.id),
  jobId: numOrNull(r.job_id),
  kind: r.kind as RunKind,
  repositoryId: r.repository_id === null || r.repository_id === undefined ? null : Number(r.repository_id),
  agentName: orNull<string>(r.agent_name),
  workflowId: String(r.workflow_id),
  status: r.status as RunStatus,
  snapshotId: orNull<string>(r.snapshot_id),
  stats: orNull<BackupStats>(r.stats),
  warnings: orNull<string[]>(r.warnings) ?? [],
  failureReason: orNull<string>(r.failure_reason),
  details: orNull<Record<string, unknown>>(r.details),
  startedAt: iso(r.started_at),
  finishedAt: isoOrNull(r.finished_at),
  cancelledBy: orNull<string>(r.cancelled_by),
});

const runPageKeyFromRow = (r: Row): RunPageKey => ({ startedUs: String(r.started_us), id: String(r.id) });

// --- queries -------------------------------------------------------------------------
export class Runs {
  constructor(private readonly s: Session) {}

  async insert(r: NewRun): Promise<void> {
    await this.s.q.query(
      `INSERT INTO runs (id, job_id, kind, workflow_id, repository_id, agent_name, status, engine_site)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7) ON CONFLICT (id) DO NOTHING`,
      [r.id, r.jobId ?? null, r.kind ?? 'backup', r.workflowId, r.repositoryId ?? null, r.agentName ?? null, r.engineSite ?? 'agent'],
    );
  }

  /**
   * Idempotent: a retried activity, or a run started outside the API, lands on one row.
   * A run waiting for approval moves on to running; a finished run never goes back.
   */
  async markRunning(r: NewRun): Promise<void> {
    await this.setActive(r, 'running');
  }

  async markAwaitingApproval(r: NewRun): Promise<void> {
    await this.setActive(r, 'awaiting-approval');
  }

  private async setActive(r: NewRun, status: 'running' | 'awaiting-approval'): Promise<void> {
    await this.s.q.query(
      `INSERT INTO runs (id, job_id, kind, workflow_id, repository_id, agent_name, status, engine_site)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET status = $7,
         repository_id = COALESCE(runs.repository_id, EXCLUDED.repository_id),
         agent_name = COALESCE(runs.agent_name, EXCLUDED.agent_name)
       WHERE runs.status IN ('queued', 'awaiting-approval', 'running')`,
      [r.id, r.jobId ?? null, r.kind ?? 'backup', r.workflowId, r.repositoryId ?? null, r.agentName ?? null, status, r.engineSite ?? 'agent'],
    );
  }

  /** Ends a run that never left `queued` (its workflow ended before recording it) as failed, with why. */
  async failUnstarted(id: string, reason: string): Promise<void> {
    await this.s.q.query(`UPDATE runs SET status = 'failed', failure_reason = $2, finished_at = now() WHERE id = $1 AND status = 'queued'`, [id, reason]);
  }

  /**
   * Records who asked for the cancellation of an active run; the first request wins and a
   * later one changes nothing. Returns the run as it is now, and whether this request was the one recorded.
   */
  async recordCancelRequest(id: string, by: string, note: string | null): Promise<{ run: Run; recorded: boolean }> {
    const r = await this.s.q.query(
      `UPDATE runs SET cancelled_by = $2, cancel_note = $3, cancel_requested_at = now()
       WHERE id = $1 AND cancelled_by IS NULL AND status IN ('queued', 'awaiting-approval', 'running')`,
      [id, by, note],
    );
    return { run: await this.get(id), recorded: affected(r) > 0 };
  }

  /** Drops a cancel request whose delivery to Temporal failed, so a later cancel can try again. */
  async clearCancelRequest(id: string, by: string): Promise<void> {
    await this.s.q.query(`UPDATE runs SET cancelled_by = NULL, cancel_note = NULL, cancel_requested_at = NULL WHERE id = $1 AND cancelled_by = $2 AND finished_at IS NULL`, [id, by]);
  }

  /**
   * Commits `key` for the run it will start (`runId`, under `workflowId`) before anything
   * starts, so a resend of the request finds it whatever happened next. Throws a unique
   * violation on `run_idempotency_keys_pkey` when the key is taken. Keys older than the
   * retention window are removed first.
   */
  async reserveIdempotencyKey(k: IdempotencyReservation & { ttlHours: number }): Promise<void> {
    await this.s.q.query(`DELETE FROM run_idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`, [k.ttlHours]);
    await this.s.q.query(`INSERT INTO run_idempotency_keys (key, scope, run_id, workflow_id) VALUES ($1, $2, $3, $4)`, [k.key, k.scope, k.runId, k.workflowId]);
  }

  /**
   * What a live key is for, and whether its run is recorded; null when the key is unknown
   * or expired. `lock` (inside a transaction) holds the key until the transaction ends:
   * whoever starts the key's run holds it, so two requests never start it twice.
   */
  async findIdempotencyKey(key: string, ttlHours: number, opts: { lock?: boolean } = {}): Promise<(IdempotencyReservation & { recorded: boolean }) | null> {
    const { rows } = await this.s.q.query(
      `SELECT k.key, k.scope, k.run_id, k.workflow_id, EXISTS (SELECT 1 FROM runs r WHERE r.id = k.run_id) AS recorded
       FROM run_idempotency_keys k
       WHERE k.key = $1 AND k.created_at >= now() - make_interval(hours => $2)${opts.lock ? ' FOR UPDATE' : ''}`,
      [key, ttlHours],
    );
    const r = rows[0];
    return r ? { key: String(r.key), scope: String(r.scope), runId: String(r.run_id), workflowId: String(r.workflow_id), recorded: r.recorded === true } : null;
  }

  /** Moves a key's unstarted run to another workflow id (the one it had was taken). */
  async moveIdempotencyKey(key: string, workflowId: string): Promise<void> {
    await this.s.q.query(`UPDATE run_idempotency_keys SET workflow_id = $2 WHERE key = $1`, [key, workflowId]);
  }

  async finish(r: RunOutcome): Promise<void> {
    // A run cancelled through the API names who cancelled it (and why, if they said).
    await this.s.q.query(
      `UPDATE runs SET status = $2, snapshot_id = $3, stats = $4, warnings = $5,
              failure_reason = CASE WHEN $2 = 'cancelled' AND $6 = 'cancelled' AND cancelled_by IS NOT NULL
                                    THEN 'cancelled by ' || cancelled_by || COALESCE(': ' || cancel_note, '') ELSE $6 END,
              details = COALESCE($7, details), finished_at = COALESCE(finished_at, now())
       WHERE id = $1`,
      [
        r.id,
        r.status,
        r.snapshotId,
        jsonParam(r.stats),
        JSON.stringify(r.warnings),
        r.failureReason,
        jsonParam(r.details),
      ],
    );
  }

  /**
   * A guest job's last recorded backup whose snapshot the catalog still lists (not pruned):
   * the parent of its next backup, with the manifest its details carry. Null before the first.
   */
  async lastGuestBackup(jobId: number): Promise<{ runId: string; snapshotId: string; details: Record<string, unknown> } | null> {
    const { rows } = await this.s.q.query(
      `SELECT r.id, r.snapshot_id, r.details FROM runs r
         JOIN snapshots s ON s.id = r.snapshot_id AND s.repository_id = r.repository_id
        WHERE r.job_id = $1 AND r.kind = 'backup' AND r.status IN ('succeeded', 'warning') AND r.details ? 'guest'
        ORDER BY r.finished_at DESC, r.id DESC LIMIT 1`,
      [jobId],
    );
    const r = rows[0];
    return r ? { runId: String(r.id), snapshotId: String(r.snapshot_id), details: r.details as Record<string, unknown> } : null;
  }

  /** The details of the backup run that recorded snapshot `snapshotId` (a container restore reads what it stored); null when none did. */
  async backupDetailsOfSnapshot(snapshotId: string): Promise<Record<string, unknown> | null> {
    const { rows } = await this.s.q.query(
      `SELECT details FROM runs WHERE snapshot_id = $1 AND kind = 'backup' AND status IN ('succeeded', 'warning') ORDER BY finished_at DESC LIMIT 1`,
      [snapshotId],
    );
    return (rows[0]?.details as Record<string, unknown> | undefined) ?? null;
  }

  async get(id: string): Promise<Run> {
    const { rows } = await this.s.q.query('SELECT * FROM runs WHERE id = $1', [id]);
    return runFromRow(one(rows, `run ${id}`));
  }

  /**
   * Runs newest first, paged by the keyset (started_at, id): `after` is the last run of the
   * previous page, so runs started meanwhile never shift a page. Returns one page and the
   * key of its last run when more follow.
   */
  async list(filter: RunFilter): Promise<{ items: Run[]; next: RunPageKey | null }> {
    const { rows } = await this.s.q.query(
      `SELECT *, (extract(epoch FROM started_at) * 1000000)::bigint::text AS started_us FROM runs
       WHERE ($1::bigint IS NULL OR job_id = $1) AND ($2::bigint IS NULL OR repository_id = $2) AND ($3::text IS NULL OR kind = $3)
         AND ($4::text IS NULL OR agent_name = $4) AND ($5::text IS NULL OR status = $5)
         AND ($6::timestamptz IS NULL OR started_at >= $6) AND ($7::timestamptz IS NULL OR started_at < $7)
         AND ($8::bigint IS NULL OR (started_at, id) < (timestamptz 'epoch' + $8::bigint * interval '1 microsecond', $9::uuid))
       ORDER BY started_at DESC, id DESC LIMIT $10`,
      [
        filter.jobId ?? null,
        filter.repositoryId ?? null,
        filter.kind ?? null,
        filter.agentName ?? null,
        filter.status ?? null,
        filter.since ?? null,
        filter.until ?? null,
        filter.after?.startedUs ?? null,
        filter.after?.id ?? null,
        filter.limit + 1,
      ],
    );
    const page = keysetPage(rows, filter.limit, runPageKeyFromRow);
    return { items: page.rows.map(runFromRow), next: page.next };
  }

  /** The newest backup run of each job of an agent (none for a job that never ran). */
  async latestBackupsOfAgent(agentName: string): Promise<Run[]> {
    const { rows } = await this.s.q.query(
      `SELECT DISTINCT ON (r.job_id) r.* FROM runs r
         JOIN jobs j ON j.id = r.job_id JOIN agents a ON a.id = j.agent_id
       WHERE a.name = $1 AND r.kind = 'backup'
       ORDER BY r.job_id, r.started_at DESC, r.id`,
      [agentName],
    );
    return rows.map(runFromRow);
  }
}
