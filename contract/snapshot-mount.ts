// Snapshot mounts (issue 13, item 7): a snapshot's tree shown read-only on the server
// worker's host by the engine's own FUSE mount (`restic mount`), for browsing and copying
// files out. One SnapshotMountWorkflow per mounted snapshot (workflow id
// `snapshot-mount/<snapshot id>`), one long heartbeating activity on backstop.server that
// holds the engine process. Shared here by the workflow, the activity, the API and the CLI.

export const MountState = {
  /** The workflow runs; the engine is (re)mounting (also again after a worker died). */
  starting: 'starting',
  /** The snapshot's tree is readable at `path`. */
  mounted: 'mounted',
  /** Unmount requested or TTL reached: the engine is being stopped and the mount removed. */
  unmounting: 'unmounting',
  /** Nothing is mounted any more; the workflow has ended (or is about to). */
  ended: 'ended',
} as const;
export type MountState = (typeof MountState)[keyof typeof MountState];

/** Why a mount ended. */
export type MountEndReason = 'unmounted' | 'expired' | 'cancelled' | 'failed';

/** Bounds of the idle TTL a POST may ask for; default 30 minutes. */
export const MOUNT_TTL = { defaultMs: 30 * 60_000, minMs: 60_000, maxMs: 24 * 3_600_000 } as const;

/** The TTL a request asked for (seconds), checked against the bounds; the default when absent. */
export function mountTtlMs(ttlSeconds: number | undefined): number {
  if (ttlSeconds === undefined) return MOUNT_TTL.defaultMs;
  const ms = ttlSeconds * 1000;
  if (!Number.isInteger(ttlSeconds) || ms < MOUNT_TTL.minMs || ms > MOUNT_TTL.maxMs) {
    throw new RangeError(`ttl must be a whole number of seconds between ${MOUNT_TTL.minMs / 1000} and ${MOUNT_TTL.maxMs / 1000}`);
  }
  return ms;
}

/**
 * The expiry after a use at `nowMs`: the TTL counts from the last use, and a use never
 * brings an expiry forward (a later expiry already granted stays).
 */
export function expiryAfterUse(currentExpiryMs: number, nowMs: number, ttlMs: number): number {
  return Math.max(currentExpiryMs, nowMs + ttlMs);
}

/** How long the workflow may still wait before the mount is idle for its TTL (never negative). */
export function idleRemainingMs(expiryMs: number, nowMs: number): number {
  return Math.max(0, expiryMs - nowMs);
}

export interface SnapshotMountInput {
  /** Names the mount point `<dataDir>/server/mounts/<mountId>`: a uuid drawn by the API. */
  mountId: string;
  snapshotId: string;
  repositoryId: number;
  /** Idle time after which the mount is taken down (bounded by MOUNT_TTL). */
  ttlMs: number;
  /** The engine is presumed dead (its worker gone) after this long without a heartbeat; the activity is retried. */
  heartbeatTimeoutMs?: number;
}

/** What the API shows (GET/POST/DELETE) and the workflow returns when it ends. */
export interface SnapshotMountStatus {
  mountId: string;
  snapshotId: string;
  state: MountState;
  /** Where the snapshot's tree is on the server worker's host (null until mounted, and once ended). */
  path: string | null;
  /** When the mount is taken down unless used before (ISO time). */
  expiresAt: string;
  startedAt: string;
  /** Mount attempts so far (a worker that died makes the next attempt mount again). */
  attempts: number;
  endReason: MountEndReason | null;
  failureReason: string | null;
}

/** What the holding activity tells its workflow (a signal): each attempt's start, and that it is mounted. */
export interface MountProgress {
  attempt: number;
  state: 'starting' | 'mounted';
  path: string | null;
}

export interface TouchMountInput {
  /** Wait up to this long for the mount to leave `starting` before answering (0: answer at once). */
  waitMs?: number;
}

export interface UnmountInput {
  /** Wait up to this long for the mount to end before answering (0: answer at once). */
  waitMs?: number;
}

/** Workflow messages, by name (the API uses them without importing workflow code). */
export const MountMessage = {
  progress: 'snapshotMountProgress',
  /** Update: counts as use (pushes the expiry forward) and answers the status. */
  touch: 'touchSnapshotMount',
  /** Update: asks for the unmount and answers the status. */
  unmount: 'unmountSnapshot',
  status: 'snapshotMountStatus',
} as const;

export interface HoldMountInput {
  mountId: string;
  snapshotId: string;
  repositoryId: number;
}

export interface MountActivities {
  /**
   * Mounts the repository with the engine and holds the mount while heartbeating, until
   * cancelled (then the engine is stopped and the mount removed). Signals the workflow when
   * the snapshot is readable. Fails (and is retried) if the engine exits on its own.
   */
  holdSnapshotMount(input: HoldMountInput): Promise<void>;
  /** Stops a leftover engine of this mount and lazily unmounts its mount point; idempotent. */
  releaseSnapshotMount(input: { mountId: string }): Promise<void>;
}
