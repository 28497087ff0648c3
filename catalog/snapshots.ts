// The snapshots aggregate: the catalog's copy of each repository's snapshot list, kept in
// step with the engine's (syncRepository) and added to as backups finish.
import type { Snapshot } from '../contract/model';
import type { EngineSnapshot } from '../contract/engine';
import type { Session } from './db';
import { affected, iso, numOrNull, orNull, type Row } from './rows';


/** The tag prefixes naming the job (`<jobPrefix><jobId>`) and run (`<runPrefix><workflowId>`) of a snapshot. */
export interface OwnerTagPrefixes {
  jobPrefix: string;
  runPrefix: string;
}

// --- rows ----------------------------------------------------------------------------
export const snapshotFromRow = (r: Row): Snapshot => ({
  id: String(r.id),
  repositoryId: Number(r.repository_id),
  jobId: numOrNull(r.job_id),
  runId: orNull<string>(r.run_id),
  time: iso(r.time),
  hostname: orNull<string>(r.hostname),
  paths: r.paths as string[],
  tags: r.tags as string[],
  createdAt: iso(r.created_at),
});

// --- rules ---------------------------------------------------------------------------
const tagValue = (tags: string[], prefix: string): string | null => tags.find((t) => t.startsWith(prefix))?.slice(prefix.length) ?? null;

/**
 * Which job and run a snapshot's tags name: the first tag with each prefix. A job tag that
 * is not a positive integer id (up to 15 digits) names no job; the run is its workflow id.
 */
export function snapshotOwner(tags: string[], prefixes: OwnerTagPrefixes): { jobId: number | null; runWorkflowId: string | null } {
  const jobTag = tagValue(tags, prefixes.jobPrefix);
  return {
    jobId: jobTag !== null && /^[1-9]\d{0,14}$/.test(jobTag) ? Number(jobTag) : null,
    runWorkflowId: tagValue(tags, prefixes.runPrefix),
  };
}

// --- queries -------------------------------------------------------------------------
// A repository deleted from the catalog has no password in use any more: its snapshots are
// neither listed nor found (a deleted *job's* snapshots are: they stay restorable).
const IN_LIVE_REPOSITORY = 'repository_id IN (SELECT id FROM repositories WHERE deleted_at IS NULL)';

export class Snapshots {
  constructor(private readonly s: Session) {}

  async record(s: Omit<Snapshot, 'createdAt'>): Promise<void> {
    await this.s.q.query(
      `INSERT INTO snapshots (id, repository_id, job_id, run_id, time, hostname, paths, tags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (repository_id, id) DO NOTHING`,
      [s.id, s.repositoryId, s.jobId, s.runId, s.time, s.hostname, s.paths, s.tags],
    );
  }

  /** Snapshots whose id starts with `prefix` (lowercase hex), at most `limit`; more than one means ambiguous. */
  async findByIdPrefix(prefix: string, limit = 2): Promise<Snapshot[]> {
    const { rows } = await this.s.q.query(`SELECT * FROM snapshots WHERE id LIKE $1 || '%' AND ${IN_LIVE_REPOSITORY} ORDER BY id LIMIT $2`, [prefix, limit]);
    return rows.map(snapshotFromRow);
  }

  async list(filter: { jobId?: number; limit: number }): Promise<Snapshot[]> {
    const { rows } = await this.s.q.query(`SELECT * FROM snapshots WHERE ($1::bigint IS NULL OR job_id = $1) AND ${IN_LIVE_REPOSITORY} ORDER BY time DESC LIMIT $2`, [
      filter.jobId ?? null,
      filter.limit,
    ]);
    return rows.map(snapshotFromRow);
  }

  /**
   * What a restore drill of the job drills: its newest files snapshot, and the stream snapshots
   * (database dumps, pipes) of the same backup run. None when the job has no snapshot yet.
   */
  async latestOfJob(jobId: number, itemTagPrefix: string): Promise<{ files: Snapshot; streams: Snapshot[] } | null> {
    const { rows } = await this.s.q.query(
      `SELECT * FROM snapshots WHERE job_id = $1 AND NOT EXISTS (SELECT 1 FROM unnest(tags) t WHERE starts_with(t, $2))
        ORDER BY time DESC, id LIMIT 1`,
      [jobId, itemTagPrefix],
    );
    if (!rows[0]) return null;
    const files = snapshotFromRow(rows[0]);
    if (!files.runId) return { files, streams: [] };
    const streams = await this.s.q.query(
      `SELECT * FROM snapshots WHERE job_id = $1 AND run_id = $2 AND EXISTS (SELECT 1 FROM unnest(tags) t WHERE starts_with(t, $3)) ORDER BY time, id`,
      [jobId, files.runId, itemTagPrefix],
    );
    return { files, streams: streams.rows.map(snapshotFromRow) };
  }

  /**
   * Makes the catalog's snapshots of a repository equal to `present` (the engine's list),
   * in one transaction: rows the engine no longer has go, missing ones are added with the
   * job from the job tag and the run from the run tag, when those exist.
   */
  async syncRepository(repositoryId: number, present: EngineSnapshot[], tags: OwnerTagPrefixes): Promise<{ added: number; removed: number }> {
    return this.s.transaction(async (tx) => {
      const removed = await tx.query('DELETE FROM snapshots WHERE repository_id = $1 AND NOT (id = ANY($2::text[]))', [repositoryId, present.map((s) => s.id)]);
      let added = 0;
      for (const s of present) {
        const owner = snapshotOwner(s.tags, tags);
        const r = await tx.query(
          `INSERT INTO snapshots (id, repository_id, job_id, run_id, time, hostname, paths, tags)
           VALUES ($1, $2, (SELECT id FROM jobs WHERE id = $3), (SELECT id FROM runs WHERE workflow_id = $4), $5, $6, $7, $8)
           ON CONFLICT (repository_id, id) DO NOTHING`,
          [s.id, repositoryId, owner.jobId, owner.runWorkflowId, s.time, s.hostname, s.paths, s.tags],
        );
        added += affected(r);
      }
      return { added, removed: affected(removed) };
    });
  }
}
