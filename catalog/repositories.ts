// The repositories aggregate: repositories with their sealed password and S3 keys, the
// S3 bucket each is mirrored to, and which agents may hold their secrets.
import { NotFoundError } from '../contract/errors';
import type { Repository } from '../contract/model';
import type { EngineKind } from '../contract/engine';
import { parseRepositoryOptions, type RepositoryOptions } from '../core/repository-backend';
import type { Session } from './db';
import { affected, iso, numOrNull, one, orNull, rethrowUnique, type Row } from './rows';

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
  updatedAt: string;
}

/** Every sealed secret of the repository a run uses (for redacting its log lines). */
export interface RunRepositorySecrets {
  repositoryId: number;
  passwordSealed: string;
  s3Sealed: string | null;
  syncCredentialsSealed: string | null;
  backendSealed: string | null;
}

/**
 * How an agent uses a repository (Repositories.agentUse): `engine` when it runs the engine
 * there (so it needs the secret), `pull-only` when only its pull jobs back up there, `none`.
 */
export type AgentRepositoryUse = 'engine' | 'pull-only' | 'none';

// --- rows ----------------------------------------------------------------------------
export const repositoryFromRow = (r: Row): Repository => {
  const options = parseRepositoryOptions(r.options);
  const engine = String(r.engine) as EngineKind;
  return {
    id: Number(r.id),
    name: String(r.name),
    url: String(r.url),
    engine,
    appendOnly: options.appendOnly === true,
    pbs: options.pbs ? { fingerprint: options.pbs.fingerprint, namespace: options.pbs.namespace ?? null } : null,
    postPruneScript: orNull<string>(r.post_prune_script),
    createdAt: iso(r.created_at),
  };
};

export const s3SyncTargetFromRow = (r: Row): S3SyncTargetRecord => ({
  repositoryId: Number(r.repository_id),
  endpoint: String(r.endpoint),
  bucket: String(r.bucket),
  prefix: String(r.prefix),
  region: orNull<string>(r.region),
  credentialsSealed: String(r.credentials_sealed),
  bandwidthLimit: orNull<string>(r.bandwidth_limit),
  transfers: numOrNull(r.transfers),
  checksum: Boolean(r.checksum),
  updatedAt: iso(r.updated_at),
});

/** A repository `p`'s catalogued snapshots and the data their backups added (the API's usage, the metrics' gauges). */
export const REPOSITORY_USAGE_COLUMNS = `(SELECT count(*) FROM snapshots s WHERE s.repository_id = p.id)::bigint AS snapshots,
  (SELECT coalesce(sum((r.stats->>'dataAdded')::float8), 0) FROM snapshots s JOIN runs r ON r.id = s.run_id
    WHERE s.repository_id = p.id AND r.stats ? 'dataAdded')::float8 AS added_bytes`;

// --- queries -------------------------------------------------------------------------
export class Repositories {
  constructor(private readonly s: Session) {}

  /** Reserves an id first: the sealed password is bound to it. */
  async nextId(): Promise<number> {
    const { rows } = await this.s.q.query<{ id: string }>(`SELECT nextval('repositories_id_seq') AS id`);
    return Number(rows[0]!.id);
  }

  async insert(r: { id: number; name: string; url: string; passwordSealed: string; engine?: EngineKind; options?: RepositoryOptions }): Promise<Repository> {
    try {
      const { rows } = await this.s.q.query(
        `INSERT INTO repositories (id, name, url, password_sealed, engine, options) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [r.id, r.name, r.url, r.passwordSealed, r.engine ?? 'restic', JSON.stringify(r.options ?? {})],
      );
      return repositoryFromRow(rows[0]!);
    } catch (err) {
      rethrowUnique(err, 'a repository with this name or location already exists');
    }
  }

  /** A live repository; a deleted one is NotFound, saying when. `lock` holds its row to the transaction's end. */
  async get(id: number, opts: { lock?: boolean } = {}): Promise<Repository> {
    const { rows } = await this.s.q.query(`SELECT * FROM repositories WHERE id = $1${opts.lock ? ' FOR UPDATE' : ''}`, [id]);
    const row = one(rows, `repository ${id}`);
    if (row.deleted_at) throw new NotFoundError(`repository ${id} was deleted from the catalog at ${iso(row.deleted_at)} (its data was left where it is)`);
    return repositoryFromRow(row);
  }

  async list(): Promise<Repository[]> {
    const { rows } = await this.s.q.query('SELECT * FROM repositories WHERE deleted_at IS NULL ORDER BY id');
    return rows.map(repositoryFromRow);
  }

  /** Per repository: the catalogued snapshots, and the data their backups added (what they take, at most). */
  async usage(ids: number[]): Promise<Map<number, { snapshots: number; addedBytes: number }>> {
    const { rows } = await this.s.q.query(
      `SELECT p.id, ${REPOSITORY_USAGE_COLUMNS} FROM repositories p WHERE p.id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(rows.map((r) => [Number(r.id), { snapshots: Number(r.snapshots), addedBytes: Number(r.added_bytes) }]));
  }

  /** Renames a live repository (unique among the live ones). */
  async rename(id: number, name: string): Promise<void> {
    try {
      const { rowCount } = await this.s.q.query('UPDATE repositories SET name = $2 WHERE id = $1 AND deleted_at IS NULL', [id, name]);
      if (!rowCount) throw new NotFoundError(`repository ${id} not found`);
    } catch (err) {
      rethrowUnique(err, 'a repository with this name already exists');
    }
  }

  /**
   * Takes the repository out of the catalog's live set. Its row (with the sealed password)
   * stays for the runs and snapshots that name it; its S3 sync target and the notification
   * rules about it go. Its schedules go with the caller (they live in Temporal too).
   */
  async markDeleted(id: number): Promise<void> {
    const { rowCount } = await this.s.q.query('UPDATE repositories SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
    if (!rowCount) throw new NotFoundError(`repository ${id} not found`);
    await this.s.q.query('DELETE FROM repository_sync_targets WHERE repository_id = $1', [id]);
    await this.s.q.query('DELETE FROM notification_rules WHERE repository_id = $1', [id]);
  }

  /** Live jobs that back up into the repository (a repository with one is not deleted). */
  async jobsUsing(id: number): Promise<Array<{ id: number; name: string }>> {
    const { rows } = await this.s.q.query('SELECT id, name FROM jobs WHERE repository_id = $1 AND deleted_at IS NULL ORDER BY id', [id]);
    return rows.map((r) => ({ id: Number(r.id), name: String(r.name) }));
  }

  /** Runs on the repository that have not finished. */
  async activeRuns(id: number): Promise<Array<{ id: string; kind: string }>> {
    const { rows } = await this.s.q.query(
      `SELECT id, kind FROM runs WHERE repository_id = $1 AND status IN ('queued', 'awaiting-approval', 'running') ORDER BY started_at`,
      [id],
    );
    return rows.map((r) => ({ id: String(r.id), kind: String(r.kind) }));
  }

  async sealedPassword(id: number): Promise<string> {
    const { rows } = await this.s.q.query<{ password_sealed: string }>('SELECT password_sealed FROM repositories WHERE id = $1', [id]);
    return one(rows, `repository ${id}`).password_sealed;
  }

  /** What the engine needs beside the location that is not secret (known_hosts, PBS fingerprint, append-only). */
  async options(id: number): Promise<RepositoryOptions> {
    const { rows } = await this.s.q.query<{ options: unknown }>('SELECT options FROM repositories WHERE id = $1', [id]);
    return parseRepositoryOptions(one(rows, `repository ${id}`).options);
  }

  /** The sealed backend secrets (SSH key, PBS encryption key), stored in the insert's transaction. */
  async setBackendSealed(id: number, sealed: string): Promise<void> {
    await this.s.q.query('UPDATE repositories SET backend_sealed = $2 WHERE id = $1', [id, sealed]);
  }

  async backendSealed(id: number): Promise<string | null> {
    const { rows } = await this.s.q.query<{ backend_sealed: string | null }>('SELECT backend_sealed FROM repositories WHERE id = $1', [id]);
    return one(rows, `repository ${id}`).backend_sealed ?? null;
  }

  async setPostPruneScript(id: number, script: string | null): Promise<void> {
    await this.s.q.query('UPDATE repositories SET post_prune_script = $2 WHERE id = $1', [id, script]);
  }

  // --- S3: the repository's own keys, and its sync target ------------------------------
  /** Stores the sealed S3 keys of a repository on S3 (same transaction as its insert). */
  async setS3Sealed(id: number, sealed: string): Promise<void> {
    await this.s.q.query('UPDATE repositories SET s3_sealed = $2 WHERE id = $1', [id, sealed]);
  }

  /** The sealed S3 keys, or null for a repository that needs none. */
  async s3Sealed(id: number): Promise<string | null> {
    const { rows } = await this.s.q.query<{ s3_sealed: string | null }>('SELECT s3_sealed FROM repositories WHERE id = $1', [id]);
    return one(rows, `repository ${id}`).s3_sealed ?? null;
  }

  async putSyncTarget(t: Omit<S3SyncTargetRecord, 'updatedAt'>): Promise<void> {
    await this.s.q.query(
      `INSERT INTO repository_sync_targets (repository_id, endpoint, bucket, prefix, region, credentials_sealed, bandwidth_limit, transfers, checksum)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (repository_id) DO UPDATE SET endpoint = $2, bucket = $3, prefix = $4, region = $5, credentials_sealed = $6,
         bandwidth_limit = $7, transfers = $8, checksum = $9, updated_at = now()`,
      [t.repositoryId, t.endpoint, t.bucket, t.prefix, t.region, t.credentialsSealed, t.bandwidthLimit, t.transfers, t.checksum],
    );
  }

  async syncTarget(repositoryId: number): Promise<S3SyncTargetRecord> {
    const { rows } = await this.s.q.query('SELECT * FROM repository_sync_targets WHERE repository_id = $1', [repositoryId]);
    if (!rows[0]) throw new NotFoundError(`repository ${repositoryId} has no S3 sync target`);
    return s3SyncTargetFromRow(rows[0]);
  }

  /** True when the repository is mirrored to S3 (the prune workflow then runs a sync). */
  async hasSyncTarget(repositoryId: number): Promise<boolean> {
    return affected(await this.s.q.query('SELECT 1 FROM repository_sync_targets WHERE repository_id = $1', [repositoryId])) > 0;
  }

  /** Returns false when there was none. */
  async deleteSyncTarget(repositoryId: number): Promise<boolean> {
    return affected(await this.s.q.query('DELETE FROM repository_sync_targets WHERE repository_id = $1', [repositoryId])) > 0;
  }

  /** The sealed secrets of the repository run `runId` uses; none for a run without one. */
  async secretsOfRun(runId: string): Promise<RunRepositorySecrets[]> {
    const { rows } = await this.s.q.query(
      `SELECT p.id, p.password_sealed, p.s3_sealed, p.backend_sealed, t.credentials_sealed
         FROM runs r JOIN repositories p ON p.id = r.repository_id
         LEFT JOIN repository_sync_targets t ON t.repository_id = p.id
        WHERE r.id = $1`,
      [runId],
    );
    return rows.map((r) => ({
      repositoryId: Number(r.id),
      passwordSealed: String(r.password_sealed),
      s3Sealed: orNull<string>(r.s3_sealed),
      syncCredentialsSealed: orNull<string>(r.credentials_sealed),
      backendSealed: orNull<string>(r.backend_sealed),
    }));
  }

  // --- who may hold the secrets ---------------------------------------------------------
  /**
   * How an agent uses this repository, which decides whether it may hold the secret: it runs
   * the engine there (a push job of the agent writes to it, or a restore from it with the
   * engine on this agent has not finished — cross-agent restores), only through pull jobs (the server
   * worker runs the engine; the secret stays on the server), or not at all.
   */
  async agentUse(agentName: string, repositoryId: number): Promise<AgentRepositoryUse> {
    const { rows } = await this.s.q.query(
      `SELECT EXISTS (SELECT 1 FROM jobs j JOIN agents a ON a.id = j.agent_id WHERE a.name = $1 AND j.repository_id = $2 AND j.mode = 'push' AND j.deleted_at IS NULL)
           OR EXISTS (SELECT 1 FROM runs WHERE kind IN ('restore', 'db-restore', 'drill') AND agent_name = $1 AND repository_id = $2
                        AND engine_site = 'agent' AND status IN ('queued', 'awaiting-approval', 'running')) AS engine,
              EXISTS (SELECT 1 FROM jobs j JOIN agents a ON a.id = j.agent_id WHERE a.name = $1 AND j.repository_id = $2 AND j.mode = 'pull' AND j.deleted_at IS NULL) AS pull`,
      [agentName, repositoryId],
    );
    return rows[0].engine === true ? 'engine' : rows[0].pull === true ? 'pull-only' : 'none';
  }
}
