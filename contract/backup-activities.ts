// The backup pipeline's activities as workflows/backup.ts calls them: the agent's steps
// (activities/agent/backup-activities.ts) and their inputs and results.
import type { BackupProgress, BackupStats, SnapshotMode } from './model';
import type { EngineSnapshot } from './engine';
import type { SnapshotBind, SnapshotHandle } from './snapshot';

export interface BackupStepInput {
  runId: string;
  workflowId: string;
  jobId: number;
  repository: { id: number; url: string };
  paths: string[];
  excludes: string[];
  /** Frozen copies to read the paths from (SnapshotHandle.binds); absent or empty: the live paths. */
  binds?: SnapshotBind[];
  /** Tags a server pre script added for this run (contract/run-overrides.ts). */
  extraTags?: string[];
}

export interface BackupStepResult {
  snapshot: EngineSnapshot;
  stats: BackupStats | null;
  unreadable: string[];
  adopted: boolean;
}

export interface BackupHeartbeat {
  phase: 'starting' | 'backing-up';
  progress: BackupProgress | null;
}

export interface PostHookInput {
  command: string;
  success: boolean;
  runId: string;
  jobId: number;
  jobName: string;
  snapshotId: string | null;
}

export interface PostHookResult {
  exitCode: number | null;
  output: string[];
}

/** The agent's backup steps (task queue agent.<name>). */
export interface AgentActivities {
  /** Freezes the paths (or not, mode `none`); adopts a snapshot an earlier attempt made. */
  createSnapshot(input: { runId: string; mode: SnapshotMode; paths: string[] }): Promise<SnapshotHandle>;
  /** Idempotent: releasing twice, or what was never created, is fine. */
  releaseSnapshot(handle: SnapshotHandle): Promise<void>;
  /** The engine run; adopts the snapshot a lost attempt made (tagged with the workflow id). */
  runBackup(input: BackupStepInput): Promise<BackupStepResult>;
  runPostHook(input: PostHookInput): Promise<PostHookResult>;
}
