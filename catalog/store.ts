// The catalog's queries, one method each. Takes any Queryable, so callers choose
// between the pool and a transaction client.
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Agent, BackupStats, Job, Repository, Run, RunKind, RunStatus, Snapshot, SnapshotMode } from '../core/model';
import { ConflictError, NotFoundError } from '../core/errors';
import type { Queryable } from './db';

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
});

const toRepository = (r: Row): Repository => ({
  id: Number(r.id),
  name: String(r.name),
  url: String(r.url),
  engine: 'restic',
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
}

const JOB_SELECT = `SELECT j.*, a.name AS agent_name FROM jobs j JOIN agents a ON a.id = j.agent_id`;

export class Catalog {
  constructor(readonly db: Pool) {}

  // --- agents -----------------------------------------------------------------
  async upsertAgent(q: Queryable, a: { name: string; hostname?: string | null; version?: string | null }): Promise<Agent> {
    const { rows } = await q.query(
      `INSERT INTO agents (name, hostname, version, last_seen_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET hostname = EXCLUDED.hostname, version = EXCLUDED.version, last_seen_at = now()
       RETURNING *`,
      [a.name, a.hostname ?? null, a.version ?? null],
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

  /** True when some job of this agent writes to this repository (the agent may have its secret). */
  async agentUsesRepository(agentName: string, repositoryId: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`${JOB_SELECT} WHERE a.name = $1 AND j.repository_id = $2 LIMIT 1`, [agentName, repositoryId]);
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

  async finishRun(r: {
    id: string;
    status: RunStatus;
    snapshotId: string | null;
    stats: BackupStats | null;
    warnings: string[];
    failureReason: string | null;
    details?: Record<string, unknown> | null;
  }): Promise<void> {
    await this.db.query(
      `UPDATE runs SET status = $2, snapshot_id = $3, stats = $4, warnings = $5, failure_reason = $6,
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

  async listRuns(filter: { jobId?: number; repositoryId?: number; kind?: RunKind; limit: number }): Promise<Run[]> {
    const { rows } = await this.db.query(
      `SELECT * FROM runs
       WHERE ($1::bigint IS NULL OR job_id = $1) AND ($2::bigint IS NULL OR repository_id = $2) AND ($3::text IS NULL OR kind = $3)
       ORDER BY started_at DESC, id LIMIT $4`,
      [filter.jobId ?? null, filter.repositoryId ?? null, filter.kind ?? null, filter.limit],
    );
    return rows.map(toRun);
  }

  // --- snapshots ---------------------------------------------------------------------
  async recordSnapshot(s: Omit<Snapshot, 'createdAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO snapshots (id, repository_id, job_id, run_id, time, hostname, paths, tags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (repository_id, id) DO NOTHING`,
      [s.id, s.repositoryId, s.jobId, s.runId, s.time, s.hostname, s.paths, s.tags],
    );
  }

  async listSnapshots(filter: { jobId?: number; limit: number }): Promise<Snapshot[]> {
    const { rows } = await this.db.query(
      `SELECT * FROM snapshots WHERE ($1::bigint IS NULL OR job_id = $1) ORDER BY time DESC LIMIT $2`,
      [filter.jobId ?? null, filter.limit],
    );
    return rows.map(toSnapshot);
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
