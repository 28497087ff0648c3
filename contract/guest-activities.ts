// The guest backup's activities as workflows/guest-backup.ts calls them: the agent's steps on
// the QEMU host (activities/agent/guest/guest-activities.ts) and the server's plan
// (activities/server/guest-activities.ts). Types only.
import type { BackupProgress, BackupStats } from './model';
import type { EngineSnapshot } from './engine';
import type { BitmapMode, GuestManifest, GuestSource } from './guest';

/** The snapshot an incremental counts from: the last recorded guest backup of the job. */
export interface GuestParentRef {
  runId: string;
  snapshotId: string;
  manifest: GuestManifest;
}

/** What a guest backup run needs to know; references only, never secrets. */
export interface GuestBackupPlan {
  jobId: number;
  jobName: string;
  agentName: string;
  repository: { id: number; name: string; url: string };
  guest: GuestSource;
  /** Null: no recorded guest backup of this job yet, a full read. */
  parent: GuestParentRef | null;
  postHook: string | null;
}

export interface GuestBackupStepInput {
  runId: string;
  workflowId: string;
  jobId: number;
  repository: { id: number; url: string };
  guest: GuestSource;
  parent: GuestParentRef | null;
}

/** How one disk was read, for the run's details. */
export interface GuestDiskOutcome {
  name: string;
  size: number;
  mode: BitmapMode;
  /** Why a full read (mode `none`), or null. */
  reason: string | null;
  bytesRead: number;
}

export interface GuestBackupStepResult {
  snapshot: EngineSnapshot;
  stats: BackupStats | null;
  manifest: GuestManifest;
  /** Bytes read from the disks by the attempt that made the snapshot. */
  bytesRead: number;
}

export interface GuestHeartbeat {
  phase: 'starting' | 'reading' | 'storing';
  progress: BackupProgress | null;
}

/** Which run's view and bitmaps a step touches. */
export interface GuestViewInput {
  runId: string;
  jobId: number;
  parentRunId: string | null;
  guest: GuestSource;
}

/** The agent's guest steps (task queue agent.<name>); each one safe to run again. */
export interface GuestAgentActivities {
  /**
   * Freezes the view (or takes over the one an earlier attempt of the run froze), stages the
   * disks' segments, stores them with the engine and releases the view. An earlier attempt's
   * snapshot is forgotten and made again from the same instant. Heartbeats bytes read.
   */
  backupGuestDisks(input: GuestBackupStepInput): Promise<GuestBackupStepResult>;
  /** After the snapshot is recorded: this run's bitmaps become the base of the next backup. */
  commitGuestBitmaps(input: GuestViewInput): Promise<void>;
  /** After a failed or cancelled run: the view taken down, this run's bitmaps merged back into the base. */
  rollbackGuestView(input: GuestViewInput): Promise<void>;
  /** Refuses, before the run waits or writes, a target this agent may not write (see GuestRestoreTarget). */
  checkGuestRestoreTarget(input: GuestRestoreTargetInput): Promise<GuestRestoreTarget>;
  /** Writes the snapshot's disk (or the whole guest) into the checked target; a retry writes it again. */
  restoreGuestSnapshot(input: GuestRestoreStepInput): Promise<GuestRestoreResult>;
  /** After the job was deleted: its dirty bitmaps removed from the running guest, its stage and run directories from the agent. Repeatable. */
  forgetGuestJob(input: GuestForgetInput): Promise<GuestForgetResult>;
}

export interface GuestForgetInput {
  jobId: number;
  guest: GuestSource;
}

export interface GuestForgetResult {
  /** Bitmaps removed, as `<node>/<bitmap>`. */
  bitmapsRemoved: string[];
  /** False: no QMP socket (the guest is not running); its persistent bitmaps stay in its images until a later cleanup or by hand. */
  guestRunning: boolean;
  workDirRemoved: boolean;
}

export interface GuestRestoreTargetInput {
  runId: string;
  target: string;
  /** One disk into an image file or a block device; null: the whole guest into a new directory. */
  disk: string | null;
}

/**
 * Where a guest restore writes: `image-file`, a new file under the agent's restore roots
 * (sparse); `block-device`, an existing block device, written over (destructive: approval);
 * `directory`, a new or empty directory under the restore roots that receives
 * `<disk>.raw` per disk and `config/` with the configuration files.
 */
export interface GuestRestoreTarget {
  target: string;
  kind: 'image-file' | 'block-device' | 'directory';
}

export interface GuestRestoreStepInput {
  runId: string;
  workflowId: string;
  repository: { id: number; url: string };
  snapshotId: string;
  /** The snapshot's one path: the stage its manifest.json sits at the root of. */
  stageRoot: string;
  disk: string | null;
  target: GuestRestoreTarget;
}

export interface GuestRestoreResult {
  /** When the restored backup froze the guest. */
  frozenAt: string;
  disks: Array<{ name: string; size: number; file: string; segments: number; bytesWritten: number }>;
  /** Configuration files written (whole-guest restores), as paths on the agent. */
  configFiles: string[];
}

export interface GuestRestoreHeartbeat {
  phase: 'starting' | 'restoring';
  disk: string | null;
  bytesWritten: number;
  /** In the engine's shape, as the runs API reads it: bytes of the disks streamed back of their whole size. */
  progress: BackupProgress | null;
}

/** The server's bookkeeping of a guest backup (local activities of the workflow). */
export interface GuestServerActivities {
  /** Marks the run running and plans it: the job's guest and its parent snapshot. */
  prepareGuestBackup(input: { runId: string; jobId: number; workflowId: string }): Promise<GuestBackupPlan>;
}

/** The run's `details` of a guest backup. */
export interface GuestRunDetails {
  guest: {
    disks: GuestDiskOutcome[];
    bytesRead: number;
    /** The snapshot this one counts from; null for a full backup. */
    parentSnapshotId: string | null;
    /** Carried to the next run as its parent's manifest. */
    manifest: GuestManifest;
  };
}
