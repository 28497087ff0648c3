// The catalog's queries, one method each. Takes any Queryable, so callers choose
// between the pool and a transaction client.
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Agent, AgentCapabilities, BackupStats, Job, Repository, Run, RunKind, RunStatus, Snapshot, SnapshotMode } from '../contract/model';
import { ConflictError, NotFoundError } from '../contract/errors';
import type { Queryable } from './db';
import { withTransaction } from './db';
import type { RetentionPolicy } from '../contract/retention';
import type { NormalizedSchedule } from '../core/schedule';
import type { ScheduleKind } from '../contract/names';

import { agentStatus } from '../core/agent-health';

type Row = Record<string, unknown>;
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

const toAgent = (r: Row): Agent => ({
  id: Number(r.id),
  name: String(r.name),
  hostname: (r.hostname as string | null) ?? null,
  version: (r.version as string | null) ?? null,
  lastSeenAt: isoOrNull(r.last_seen_at),
  createdAt: iso(r.created_at),
  status: agentStatus(
    { lastSeenAt: isoOrNull(r.last_seen_at), heartbeatIntervalMs: r.heartbeat_interval_ms == null ? null : Number(r.heartbeat_interval_ms), revokedAt: isoOrNull(r.revoked_at) },
    new Date(),
  ),
  os: (r.os as string | null) ?? null,
  capabilities: (r.capabilities as AgentCapabilities | null) ?? null,
  revokedAt: isoOrNull(r.revoked_at),
});

const toRepository = (r: Row): Repository => ({
  id: Number(r.id),
  name: String(r.name),
  url: String(r.url),
  engine: 'restic',
  postPruneScript: (r.post_prune_script as string | null) ?? null,
  createdAt: iso(r.created_at),
});

const toJob = (r: Row): Job => ({
  id: Number(r.id),
  name: String(r.name),
  agentName: String(r.agent_name),
  repositoryId: Number(r.repository_id),
  paths: r.paths as string[],
  excludes: r.excludes as string[],
  snapshotMode: r.snapshot_mode as SnapshotMode,
  preScript: (r.pre_script as string | null) ?? null,
  postHook: (r.post_hook as string | null) ?? null,
  retention: (r.retention as RetentionPolicy | null) ?? null,
  createdAt: iso(r.created_at),
});

const toRun = (r: Row): Run => ({
  id: String(r.id),
  jobId: r.job_id === null ? null : Number(r.job_id),
  kind: r.kind as RunKind,
  repositoryId: r.repository_id === null || r.repository_id === undefined ? null : Number(r.repository_id),
  agentName: (r.agent_name as string | null) ?? null,
  workflowId: String(r.workflow_id),
  status: r.status as RunStatus,
  snapshotId: (r.snapshot_id as string | null) ?? null,
  stats: (r.stats as BackupStats | null) ?? null,
  warnings: (r.warnings as string[] | null) ?? [],
  failureReason: (r.failure_reason as string | null) ?? null,
  details: (r.details as Record<string, unknown> | null) ?? null,
  startedAt: iso(r.started_at),
  finishedAt: isoOrNull(r.finished_at),
  cancelledBy: (r.cancelled_by as string | null | undefined) ?? null,
});

const toSnapshot = (r: Row): Snapshot => ({
  id: String(r.id),
  repositoryId: Number(r.repository_id),
  jobId: r.job_id === null ? null : Number(r.job_id),
  runId: (r.run_id as string | null) ?? null,
  time: iso(r.time),
  hostname: (r.hostname as string | null) ?? null,
  paths: r.paths as string[],
  tags: r.tags as string[],
  createdAt: iso(r.created_at),
});

const UNIQUE_VIOLATION = '23505';
function rethrowUnique(err: unknown, what: string): never {
  if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictError(`${what} already exists`);
  throw err;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A run as its workflow starts it; kind defaults to backup. */
export interface NewRun {
  id: string;
  workflowId: string;
  kind?: RunKind;
  jobId?: number | null;
  repositoryId?: number | null;
  agentName?: string | null;
}

export interface TokenIdentity {
  name: string;
  scope: 'admin' | 'agent';
  agentName: string | null;
  /** Set when the agent proved itself with its client certificate (mTLS), not a token. */
  certificateFingerprint?: string;
  /** Set on enrollment only: the bootstrap token from the Authorization header, checked by the handler. */
  bootstrapToken?: string;
}

/** The S3 bucket a repository is mirrored to; the keys stay sealed in this record. */
export interface S3SyncTargetRecord {
  repositoryId: number;
  endpoint: string;
  bucket: string;
  prefix: string;
  region: string | null;
  /** `{accessKeyId, secretAccessKey}` sealed under 'repository-sync:<id>'. */
  credentialsSealed: string;
  bandwidthLimit: string | null;
  transfers: number | null;
  checksum: boolean;
  updatedAt?: string;
}

/** A schedule as the catalog keeps it; `id` is the Temporal Schedule id. */
export interface ScheduleRecord {
  id: string;
  kind: ScheduleKind;
  jobId: number | null;
  repositoryId: number | null;
  definition: NormalizedSchedule;
  paused: boolean;
  note: string | null;
  updatedAt?: string;
}

const toSchedule = (r: Row): ScheduleRecord => ({
  id: String(r.id),
  kind: r.kind as ScheduleKind,
  jobId: r.job_id === null ? null : Number(r.job_id),
  repositoryId: r.repository_id === null ? null : Number(r.repository_id),
  definition: r.definition as NormalizedSchedule,
  paused: Boolean(r.paused),
  note: (r.note as string | null) ?? null,
  updatedAt: iso(r.updated_at),
});
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

const JOB_SELECT = `SELECT j.*, a.name AS agent_name FROM jobs j JOIN agents a ON a.id = j.agent_id`;

export class Catalog {
  constructor(readonly db: Pool) {}

  // --- agents -----------------------------------------------------------------
  /** Registers an agent; capabilities left out keep what it reported before. */
  async upsertAgent(q: Queryable, a: { name: string; hostname?: string | null; version?: string | null; capabilities?: AgentCapabilities }): Promise<Agent> {
    const { rows } = await q.query(
      `INSERT INTO agents (name, hostname, version, capabilities, last_seen_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (name) DO UPDATE SET hostname = EXCLUDED.hostname, version = EXCLUDED.version,
         capabilities = COALESCE(EXCLUDED.capabilities, agents.capabilities), last_seen_at = now()
       RETURNING *`,
      [a.name, a.hostname ?? null, a.version ?? null, a.capabilities === undefined ? null : JSON.stringify(a.capabilities)],
    );
    return toAgent(rows[0]!);
  }

  async listAgents(): Promise<Agent[]> {
    const { rows } = await this.db.query('SELECT * FROM agents ORDER BY name');
    return rows.map(toAgent);
  }

  async findAgentByName(q: Queryable, name: string): Promise<Agent | null> {
    const { rows } = await q.query('SELECT * FROM agents WHERE name = $1', [name]);
    return rows[0] ? toAgent(rows[0]) : null;
  }

  // --- repositories ------------------------------------------------------------
  /** Reserves an id first: the sealed password is bound to it. */
  async nextRepositoryId(q: Queryable): Promise<number> {
    const { rows } = await q.query<{ id: string }>(`SELECT nextval('repositories_id_seq') AS id`);
    return Number(rows[0]!.id);
  }

  async insertRepository(q: Queryable, r: { id: number; name: string; url: string; passwordSealed: string }): Promise<Repository> {
    try {
      const { rows } = await q.query(
        `INSERT INTO repositories (id, name, url, password_sealed) VALUES ($1, $2, $3, $4) RETURNING *`,
        [r.id, r.name, r.url, r.passwordSealed],
      );
      return toRepository(rows[0]!);
    } catch (err) {
      rethrowUnique(err, 'a repository with this name or location');
    }
  }

  async getRepository(id: number, q: Queryable = this.db): Promise<Repository> {
    const { rows } = await q.query('SELECT * FROM repositories WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError(`repository ${id} not found`);
    return toRepository(rows[0]);
  }

  async listRepositories(): Promise<Repository[]> {
    const { rows } = await this.db.query('SELECT * FROM repositories ORDER BY id');
    return rows.map(toRepository);
  }

  async getRepositorySealedPassword(id: number): Promise<string> {
    const { rows } = await this.db.query<{ password_sealed: string }>('SELECT password_sealed FROM repositories WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError(`repository ${id} not found`);
    return rows[0].password_sealed;
  }

  // --- S3: a repository's own keys, and its sync target ---------------------------
  /** Stores the sealed S3 keys of a repository on S3 (same transaction as its insert). */
  async setRepositoryS3Sealed(q: Queryable, id: number, sealed: string): Promise<void> {
    await q.query('UPDATE repositories SET s3_sealed = $2 WHERE id = $1', [id, sealed]);
  }

  /** The sealed S3 keys, or null for a repository that needs none. */
  async getRepositoryS3Sealed(id: number): Promise<string | null> {
    const { rows } = await this.db.query<{ s3_sealed: string | null }>('SELECT s3_sealed FROM repositories WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError(`repository ${id} not found`);
    return rows[0].s3_sealed ?? null;
  }

  async putS3SyncTarget(t: S3SyncTargetRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO repository_sync_targets (repository_id, endpoint, bucket, prefix, region, credentials_sealed, bandwidth_limit, transfers, checksum)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (repository_id) DO UPDATE SET endpoint = $2, bucket = $3, prefix = $4, region = $5, credentials_sealed = $6,
         bandwidth_limit = $7, transfers = $8, checksum = $9, updated_at = now()`,
      [t.repositoryId, t.endpoint, t.bucket, t.prefix, t.region, t.credentialsSealed, t.bandwidthLimit, t.transfers, t.checksum],
    );
  }

  async getS3SyncTarget(repositoryId: number): Promise<S3SyncTargetRecord> {
    const { rows } = await this.db.query('SELECT * FROM repository_sync_targets WHERE repository_id = $1', [repositoryId]);
    const r = rows[0];
    if (!r) throw new NotFoundError(`repository ${repositoryId} has no S3 sync target`);
    return {
      repositoryId: Number(r.repository_id),
      endpoint: String(r.endpoint),
      bucket: String(r.bucket),
      prefix: String(r.prefix),
      region: (r.region as string | null) ?? null,
      credentialsSealed: String(r.credentials_sealed),
      bandwidthLimit: (r.bandwidth_limit as string | null) ?? null,
      transfers: r.transfers === null ? null : Number(r.transfers),
      checksum: Boolean(r.checksum),
      updatedAt: iso(r.updated_at),
    };
  }

  /** True when the repository is mirrored to S3 (the prune workflow then runs a sync). */
  async hasS3SyncTarget(repositoryId: number): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM repository_sync_targets WHERE repository_id = $1', [repositoryId]);
    return (rowCount ?? 0) > 0;
  }

  /** Returns false when there was none. */
  async deleteS3SyncTarget(repositoryId: number): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM repository_sync_targets WHERE repository_id = $1', [repositoryId]);
    return (rowCount ?? 0) > 0;
  }

  // --- jobs ----------------------------------------------------------------------
  async insertJob(
    q: Queryable,
    j: { name: string; agentId: number; repositoryId: number; paths: string[]; excludes: string[]; snapshotMode: SnapshotMode; preScript: string | null; postHook: string | null },
  ): Promise<number> {
    try {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO jobs (name, agent_id, repository_id, paths, excludes, snapshot_mode, pre_script, post_hook)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [j.name, j.agentId, j.repositoryId, j.paths, j.excludes, j.snapshotMode, j.preScript, j.postHook],
      );
      return Number(rows[0]!.id);
    } catch (err) {
      rethrowUnique(err, 'a job with this name');
    }
  }

  async getJob(id: number, q: Queryable = this.db): Promise<Job> {
    const { rows } = await q.query(`${JOB_SELECT} WHERE j.id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError(`job ${id} not found`);
    return toJob(rows[0]);
  }

  async listJobs(): Promise<Job[]> {
    const { rows } = await this.db.query(`${JOB_SELECT} ORDER BY j.id`);
    return rows.map(toJob);
  }

  // --- retention and prune ---------------------------------------------------------
  /** Sets (or, with null, clears) a job's retention policy; validate it first. */
  async setJobRetention(q: Queryable, id: number, retention: RetentionPolicy | null): Promise<void> {
    const { rowCount } = await q.query('UPDATE jobs SET retention = $2 WHERE id = $1', [id, retention === null ? null : JSON.stringify(retention)]);
    if (!rowCount) throw new NotFoundError(`job ${id} not found`);
  }

  async setRepositoryPostPruneScript(q: Queryable, id: number, script: string | null): Promise<void> {
    await q.query('UPDATE repositories SET post_prune_script = $2 WHERE id = $1', [id, script]);
  }

  async listJobsOfRepository(repositoryId: number): Promise<Job[]> {
    const { rows } = await this.db.query(`${JOB_SELECT} WHERE j.repository_id = $1 ORDER BY j.id`, [repositoryId]);
    return rows.map(toJob);
  }

  /**
   * Makes the catalog's snapshots of a repository equal to `present` (the engine's list),
   * in one transaction: rows the engine no longer has go, missing ones are added with the
   * job from the job tag and the run from the run tag, when those exist.
   */
  async syncRepositorySnapshots(
    repositoryId: number,
    present: Array<{ id: string; time: string; hostname: string; paths: string[]; tags: string[] }>,
    tags: { jobPrefix: string; runPrefix: string },
  ): Promise<{ added: number; removed: number }> {
    const tagValue = (t: string[], prefix: string) => t.find((x) => x.startsWith(prefix))?.slice(prefix.length) ?? null;
    return withTransaction(this.db, async (tx) => {
      const removed = await tx.query('DELETE FROM snapshots WHERE repository_id = $1 AND NOT (id = ANY($2::text[]))', [repositoryId, present.map((s) => s.id)]);
      let added = 0;
      for (const s of present) {
        const jobTag = tagValue(s.tags, tags.jobPrefix);
        const job = jobTag !== null && /^[1-9]\d{0,14}$/.test(jobTag) ? Number(jobTag) : null;
        const r = await tx.query(
          `INSERT INTO snapshots (id, repository_id, job_id, run_id, time, hostname, paths, tags)
           VALUES ($1, $2, (SELECT id FROM jobs WHERE id = $3), (SELECT id FROM runs WHERE workflow_id = $4), $5, $6, $7, $8)
           ON CONFLICT (repository_id, id) DO NOTHING`,
          [s.id, repositoryId, job, tagValue(s.tags, tags.runPrefix), s.time, s.hostname, s.paths, s.tags],
        );
        added += r.rowCount ?? 0;
      }
      return { added, removed: removed.rowCount ?? 0 };
    });
  }

  /** True when some job of this agent writes to this repository (the agent may have its secret). */
  async agentUsesRepository(agentName: string, repositoryId: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`${JOB_SELECT} WHERE a.name = $1 AND j.repository_id = $2 LIMIT 1`, [agentName, repositoryId]);
    return (rowCount ?? 0) > 0 || (await this.agentHasActiveRestore(agentName, repositoryId));
  }

  /** A restore of this repository targets the agent and has not finished (cross-agent restores need the secret). */
  async agentHasActiveRestore(agentName: string, repositoryId: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `SELECT 1 FROM runs WHERE kind IN ('restore', 'db-restore') AND agent_name = $1 AND repository_id = $2
         AND status IN ('queued', 'awaiting-approval', 'running') LIMIT 1`,
      [agentName, repositoryId],
    );
    return (rowCount ?? 0) > 0;
  }

  // --- runs ------------------------------------------------------------------------
  async insertRun(q: Queryable, r: NewRun): Promise<void> {
    await q.query(
      `INSERT INTO runs (id, job_id, kind, workflow_id, repository_id, agent_name, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued') ON CONFLICT (id) DO NOTHING`,
      [r.id, r.jobId ?? null, r.kind ?? 'backup', r.workflowId, r.repositoryId ?? null, r.agentName ?? null],
    );
  }

  /**
   * Idempotent: a retried activity, or a run started outside the API, lands on one row.
   * A run waiting for approval moves on to running; a finished run never goes back.
   */
  async markRunRunning(r: NewRun): Promise<void> {
    await this.setRunActive(r, 'running');
  }

  async markRunAwaitingApproval(r: NewRun): Promise<void> {
    await this.setRunActive(r, 'awaiting-approval');
  }

  private async setRunActive(r: NewRun, status: 'running' | 'awaiting-approval'): Promise<void> {
    await this.db.query(
      `INSERT INTO runs (id, job_id, kind, workflow_id, repository_id, agent_name, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET status = $7,
         repository_id = COALESCE(runs.repository_id, EXCLUDED.repository_id),
         agent_name = COALESCE(runs.agent_name, EXCLUDED.agent_name)
       WHERE runs.status IN ('queued', 'awaiting-approval', 'running')`,
      [r.id, r.jobId ?? null, r.kind ?? 'backup', r.workflowId, r.repositoryId ?? null, r.agentName ?? null, status],
    );
  }

  /**
   * Records who asked for the cancellation of an active run; the first request wins and a
   * later one changes nothing. Returns the run as it is now, and whether this request was the one recorded.
   */
  async recordCancelRequest(id: string, by: string, note: string | null): Promise<{ run: Run; recorded: boolean }> {
    const { rowCount } = await this.db.query(
      `UPDATE runs SET cancelled_by = $2, cancel_note = $3, cancel_requested_at = now()
       WHERE id = $1 AND cancelled_by IS NULL AND status IN ('queued', 'awaiting-approval', 'running')`,
      [id, by, note],
    );
    return { run: await this.getRun(id), recorded: (rowCount ?? 0) > 0 };
  }

  /** Drops a cancel request whose delivery to Temporal failed, so a later cancel can try again. */
  async clearCancelRequest(id: string, by: string): Promise<void> {
    await this.db.query(`UPDATE runs SET cancelled_by = NULL, cancel_note = NULL, cancel_requested_at = NULL WHERE id = $1 AND cancelled_by = $2 AND finished_at IS NULL`, [id, by]);
  }

  // --- idempotency keys ---------------------------------------------------------------
  /**
   * Claims `key` for `runId` inside the caller's transaction, before the run row is written
   * (the foreign key is deferred). A concurrent transaction holding the same key makes
   * this wait until it ends; if it committed, this throws a unique violation on
   * `run_idempotency_keys_pkey`. Keys older than the retention window are removed first.
   */
  async claimIdempotencyKey(q: Queryable, k: { key: string; scope: string; runId: string; ttlHours: number }): Promise<void> {
    await q.query(`DELETE FROM run_idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`, [k.ttlHours]);
    await q.query(`INSERT INTO run_idempotency_keys (key, scope, run_id) VALUES ($1, $2, $3)`, [k.key, k.scope, k.runId]);
  }

  /** The run a live key started, or null when the key is unknown or expired. */
  async findIdempotencyKey(key: string, ttlHours: number): Promise<{ scope: string; runId: string; workflowId: string } | null> {
    const { rows } = await this.db.query(
      `SELECT k.scope, k.run_id, r.workflow_id FROM run_idempotency_keys k JOIN runs r ON r.id = k.run_id
       WHERE k.key = $1 AND k.created_at >= now() - make_interval(hours => $2)`,
      [key, ttlHours],
    );
    const r = rows[0];
    return r ? { scope: String(r.scope), runId: String(r.run_id), workflowId: String(r.workflow_id) } : null;
  }

  async finishRun(r: {
    id: string;
    status: RunStatus;
    snapshotId: string | null;
    stats: BackupStats | null;
    warnings: string[];
    failureReason: string | null;
    details?: Record<string, unknown> | null;
  }): Promise<void> {
    // A run cancelled through the API names who cancelled it (and why, if they said).
    await this.db.query(
      `UPDATE runs SET status = $2, snapshot_id = $3, stats = $4, warnings = $5,
              failure_reason = CASE WHEN $2 = 'cancelled' AND $6 = 'cancelled' AND cancelled_by IS NOT NULL
                                    THEN 'cancelled by ' || cancelled_by || COALESCE(': ' || cancel_note, '') ELSE $6 END,
              details = COALESCE($7, details), finished_at = COALESCE(finished_at, now())
       WHERE id = $1`,
      [
        r.id,
        r.status,
        r.snapshotId,
        r.stats === null ? null : JSON.stringify(r.stats),
        JSON.stringify(r.warnings),
        r.failureReason,
        r.details == null ? null : JSON.stringify(r.details),
      ],
    );
  }

  async getRun(id: string): Promise<Run> {
    const { rows } = await this.db.query('SELECT * FROM runs WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError(`run ${id} not found`);
    return toRun(rows[0]);
  }

  /**
   * Runs newest first, paged by the keyset (started_at, id): `after` is the last run of the
   * previous page, so runs started meanwhile never shift a page. Returns one page and the
   * key of its last run when more follow.
   */
  async listRuns(filter: RunFilter): Promise<{ items: Run[]; next: RunPageKey | null }> {
    const { rows } = await this.db.query(
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
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { items: page.map(toRun), next: rows.length > filter.limit && last ? { startedUs: String(last.started_us), id: String(last.id) } : null };
  }

  // --- snapshots ---------------------------------------------------------------------
  async recordSnapshot(s: Omit<Snapshot, 'createdAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO snapshots (id, repository_id, job_id, run_id, time, hostname, paths, tags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (repository_id, id) DO NOTHING`,
      [s.id, s.repositoryId, s.jobId, s.runId, s.time, s.hostname, s.paths, s.tags],
    );
  }

  /** Snapshots whose id starts with `prefix` (lowercase hex), at most `limit`; more than one means ambiguous. */
  async findSnapshotsByIdPrefix(prefix: string, limit = 2): Promise<Snapshot[]> {
    const { rows } = await this.db.query(`SELECT * FROM snapshots WHERE id LIKE $1 || '%' ORDER BY id LIMIT $2`, [prefix, limit]);
    return rows.map(toSnapshot);
  }

  async listSnapshots(filter: { jobId?: number; limit: number }): Promise<Snapshot[]> {
    const { rows } = await this.db.query(
      `SELECT * FROM snapshots WHERE ($1::bigint IS NULL OR job_id = $1) ORDER BY time DESC LIMIT $2`,
      [filter.jobId ?? null, filter.limit],
    );
    return rows.map(toSnapshot);
  }

  // --- schedules ----------------------------------------------------------------------
  /** Creates or replaces a schedule's definition; a replaced one keeps its paused state. */
  async upsertSchedule(q: Queryable, s: Omit<ScheduleRecord, 'paused' | 'note' | 'updatedAt'>): Promise<ScheduleRecord> {
    const { rows } = await q.query(
      `INSERT INTO schedules (id, kind, job_id, repository_id, definition) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()
       RETURNING *`,
      [s.id, s.kind, s.jobId, s.repositoryId, JSON.stringify(s.definition)],
    );
    return toSchedule(rows[0]!);
  }

  async findSchedule(id: string, q: Queryable = this.db): Promise<ScheduleRecord | null> {
    const { rows } = await q.query('SELECT * FROM schedules WHERE id = $1', [id]);
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    const { rows } = await this.db.query('SELECT * FROM schedules ORDER BY id');
    return rows.map(toSchedule);
  }

  /** Returns false when there was none. */
  async deleteSchedule(q: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await q.query('DELETE FROM schedules WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async setSchedulePaused(q: Queryable, id: string, paused: boolean, note: string | null): Promise<ScheduleRecord> {
    const { rows } = await q.query('UPDATE schedules SET paused = $2, note = $3, updated_at = now() WHERE id = $1 RETURNING *', [id, paused, note]);
    if (!rows[0]) throw new NotFoundError(`schedule ${id} not found`);
    return toSchedule(rows[0]);
  }

  /** The newest backup run of each job of an agent (none for a job that never ran). */
  async latestBackupRunsOfAgent(agentName: string): Promise<Run[]> {
    const { rows } = await this.db.query(
      `SELECT DISTINCT ON (r.job_id) r.* FROM runs r
         JOIN jobs j ON j.id = r.job_id JOIN agents a ON a.id = j.agent_id
       WHERE a.name = $1 AND r.kind = 'backup'
       ORDER BY r.job_id, r.started_at DESC, r.id`,
      [agentName],
    );
    return rows.map(toRun);
  }

  // --- API tokens ----------------------------------------------------------------------
  /** Creates a token and returns it; only its hash is stored. */
  async createToken(t: { name: string; scope: 'admin' | 'agent'; agentName?: string }): Promise<string> {
    const token = `bst_${randomBytes(24).toString('base64url')}`;
    await this.db.query(`INSERT INTO api_tokens (name, token_hash, scope, agent_name) VALUES ($1, $2, $3, $4)`, [
      t.name,
      hashToken(token),
      t.scope,
      t.agentName ?? null,
    ]);
    return token;
  }

  async findToken(token: string): Promise<TokenIdentity | null> {
    const { rows } = await this.db.query(
      `SELECT name, scope, agent_name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
      [hashToken(token)],
    );
    const r = rows[0];
    return r ? { name: String(r.name), scope: r.scope as 'admin' | 'agent', agentName: (r.agent_name as string | null) ?? null } : null;
  }
}
