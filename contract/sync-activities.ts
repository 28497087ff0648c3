// S3 sync activities as workflows/s3-sync.ts calls them (activities/server/sync/): the
// server worker mirrors a repository into a bucket with rclone and verifies the copy.
import type { RunStatus } from './model';

/** rclone's running totals for one sync; the last line rclone prints is the summary. */
export interface SyncStats {
  /** Bytes uploaded so far (objects skipped as already present count nothing). */
  bytes: number;
  totalBytes: number;
  /** Objects uploaded so far. */
  transfers: number;
  totalTransfers: number;
  /** Objects compared with the bucket and found already there. */
  checks: number;
  /** Objects deleted from the bucket because the repository no longer has them. */
  deletes: number;
  errors: number;
  listed: number;
  elapsedSeconds: number;
}

export interface ListingComparison {
  ok: boolean;
  /** Objects in the repository, and their total size. */
  localObjects: number;
  localBytes: number;
  remoteObjects: number;
  /** In the repository, not in the bucket. */
  missing: string[];
  /** In both, with different sizes. */
  sizeMismatch: Array<{ path: string; local: number; remote: number }>;
  /** In the bucket, not in the repository (a mirror deletes these, so any is a fault). */
  extra: string[];
}

/** What the workflow learns about a sync: references and settings, never keys. */
export interface S3SyncPlan {
  repositoryId: number;
  repositoryName: string;
  target: { endpoint: string; bucket: string; prefix: string };
  heartbeatTimeoutMs: number;
}

export interface S3SyncOutcome {
  objectsTransferred: number;
  bytesTransferred: number;
  /** Objects found already in the bucket and skipped: what a resumed attempt did not redo. */
  objectsChecked: number;
  objectsDeleted: number;
  elapsedSeconds: number;
  /** The activity attempt that finished the sync (> 1 after a crash or a retry). */
  attempt: number;
}

export interface S3SyncHeartbeat {
  phase: 'starting' | 'syncing' | 'listing';
  stats: SyncStats | null;
}

/** The comparison as recorded: lists cut to a few examples, counts kept. */
export type S3SyncVerification = ListingComparison & { missingCount: number; sizeMismatchCount: number; extraCount: number; summary: string };

export interface FinishS3SyncInput {
  runId: string;
  status: RunStatus;
  failureReason: string | null;
  warnings: string[];
  details: Record<string, unknown>;
}

export interface S3SyncActivities {
  prepareS3Sync(input: { runId: string; repositoryId: number; workflowId: string }): Promise<S3SyncPlan>;
  runS3Sync(input: { runId: string; workflowId: string; repositoryId: number }): Promise<S3SyncOutcome>;
  verifyS3Sync(input: { repositoryId: number }): Promise<S3SyncVerification>;
  finishS3Sync(input: FinishS3SyncInput): Promise<void>;
}
