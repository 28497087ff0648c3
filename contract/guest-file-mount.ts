// Guest file mounts (issue 19, item 2): single files out of a guest snapshot's disk without
// restoring the disk by hand. The server worker restores the disk from the repository into a
// sparse scratch image (under the repository's shared lock), attaches it read-only with loop
// devices and mounts each filesystem on it read-only. One GuestFileMountWorkflow per mounted
// disk (workflow id `guest-file-mount/<snapshot id>/<disk>`). Shared by the workflow, the
// activities, the API and the CLI: no Node APIs here.
import { MountState, type MountEndReason } from './snapshot-mount';

export { MountState, type MountEndReason };

/** One filesystem of the disk, mounted read-only. */
export interface GuestFilesystem {
  /** `disk` when the whole disk holds the filesystem, else `p<n>` (its partition number). */
  name: string;
  /** The partition's number in the disk's MBR/GPT table; null for a whole-disk filesystem. */
  partition: number | null;
  /** As blkid names it: ext4, xfs, vfat, … */
  fsType: string;
  /** Where its tree is on the server worker's host. */
  path: string;
  /** Where it starts on the disk, and its length (bytes). */
  offset: number;
  size: number;
}

export interface GuestFileMountInput {
  /** Names the scratch image and the mount directory: a uuid drawn by the API. */
  mountId: string;
  snapshotId: string;
  repositoryId: number;
  /** The snapshot's one path: the stage its manifest.json sits at the root of. */
  stageRoot: string;
  disk: string;
  /** Idle time after which the disk is unmounted (bounded by MOUNT_TTL, as snapshot mounts). */
  ttlMs: number;
  /** The worker is presumed dead after this long without a heartbeat; the step is retried. */
  heartbeatTimeoutMs?: number;
}

/** What the API shows and the workflow returns when it ends. */
export interface GuestFileMountStatus {
  mountId: string;
  snapshotId: string;
  disk: string;
  state: MountState;
  /** Each mounted filesystem (empty until mounted, and once ended). */
  filesystems: GuestFilesystem[];
  expiresAt: string;
  startedAt: string;
  /** Mount attempts so far: a worker that died makes the next attempt restore and mount again. */
  attempts: number;
  endReason: MountEndReason | null;
  failureReason: string | null;
}

/** What the holding activity tells its workflow (a signal): each attempt's start, and that it is mounted. */
export interface GuestFileMountProgress {
  attempt: number;
  state: 'starting' | 'mounted';
  filesystems: GuestFilesystem[];
}

/** Workflow messages, by name (the API uses them without importing workflow code). */
export const GuestFileMountMessage = {
  progress: 'guestFileMountProgress',
  /** Update: counts as use (pushes the expiry forward) and answers the status. */
  touch: 'touchGuestFileMount',
  /** Update: asks for the unmount and answers the status. */
  unmount: 'unmountGuestFileMount',
  status: 'guestFileMountStatus',
} as const;

export interface GuestScratchInput {
  mountId: string;
  snapshotId: string;
  repositoryId: number;
  stageRoot: string;
  disk: string;
}

export interface GuestScratchImage {
  /** The disk's size (bytes), and what was written of it (the rest is holes: zeros). */
  size: number;
  bytesWritten: number;
}

export interface HoldGuestFileMountInput {
  mountId: string;
  disk: string;
}

/**
 * ErrorType-like `type` of the failure the holding activity throws when its scratch image is
 * gone (a server worker restarted and swept it): the workflow restores it again, under the
 * repository's lock, then mounts again. Not a BackstopError type: it never reaches an operator.
 */
export const SCRATCH_IMAGE_MISSING = 'GuestScratchImageMissing';

/** The server worker's steps of a guest file mount (task queue backstop.server). */
export interface GuestFileMountActivities {
  /**
   * Restores the disk from the repository into `<scratch>/<mountId>.raw` (sparse), from the
   * start on a retry; heartbeats bytes written. A full scratch disk fails at once (ENOSPC).
   */
  restoreGuestScratchImage(input: GuestScratchInput): Promise<GuestScratchImage>;
  /**
   * Finds the filesystems on the scratch image (whole disk, else each MBR/GPT partition),
   * attaches each read-only to a loop device and mounts it read-only, then holds the mounts
   * while heartbeating until cancelled (then unmounts and detaches). Signals the workflow
   * when mounted. Fails for good when the disk holds no filesystem it can mount.
   */
  holdGuestFileMount(input: HoldGuestFileMountInput): Promise<void>;
  /** Unmounts every filesystem of this mount, detaches its loop devices and deletes its scratch image; idempotent. */
  releaseGuestFileMount(input: { mountId: string }): Promise<void>;
}
