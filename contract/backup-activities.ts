// The backup pipeline's activities as workflows/backup.ts calls them: the agent's steps
// (activities/agent/backup-activities.ts), the server's bookkeeping and scripts
// (activities/server/backup-activities.ts, script-activities.ts), their inputs and results.
import type { BackupProgress, BackupStats, JobMode, RunStatus, SnapshotMode } from './model';
import type { RunOverrides } from './run-overrides';
import type { EngineSnapshot } from './engine';
import type { SnapshotBind, SnapshotHandle } from './snapshot';
import type { ContainerSource } from './container';

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

export interface HookResult {
  exitCode: number | null;
  output: string[];
}

/** What a backup run needs to know; references only, never secrets. */
export interface BackupPlan {
  jobId: number;
  jobName: string;
  agentName: string;
  repository: { id: number; name: string; url: string };
  paths: string[];
  excludes: string[];
  snapshotMode: SnapshotMode;
  /**
   * Who runs the engine: the agent (push) or the server worker against the agent's export
   * (pull). Plans in histories recorded before pull mode existed have none (replays, runs in
   * flight across the upgrade): test for 'pull', never for 'push'.
   */
  mode: JobMode;
  preScript: string | null;
  postHook: string | null;
  /** Library scripts run on this worker before and after the backup (ids; bodies are read when they run). */
  scripts?: { pre: Array<{ id: number; name: string }>; post: Array<{ id: number; name: string }> };
  /** The job's plugin configurations, in order: references only, the agent fetches their secrets. */
  plugins?: Array<{ id: number; name: string; plugin: string }>;
  /**
   * A container job's container (contract/container.ts); its `paths` are empty and found by
   * the agent at the start of the run. Absent for every other job.
   */
  container?: ContainerSource;
}

export interface FinishRunInput {
  runId: string;
  status: RunStatus;
  snapshotId: string | null;
  stats: BackupStats | null;
  warnings: string[];
  failureReason: string | null;
  /** Kind-specific outcome (a guest backup's disks and manifest); absent leaves the run's details as they are. */
  details?: Record<string, unknown>;
}

/**
 * The server's bookkeeping of a backup (task queue backstop.server). The backup workflow
 * runs all but runPreScript as local activities: short, idempotent catalog writes.
 */
export interface ServerActivities {
  prepareBackup(input: { runId: string; jobId: number; workflowId: string }): Promise<BackupPlan>;
  runPreScript(input: { command: string; runId: string; plan: BackupPlan }): Promise<void>;
  recordSnapshot(input: { runId: string; jobId: number; repositoryId: number; snapshot: EngineSnapshot }): Promise<void>;
  finishRun(input: FinishRunInput): Promise<void>;
  notify(input: { runId: string; jobName: string; status: RunStatus; snapshotId: string | null; failureReason: string | null; warnings: number }): Promise<void>;
}

export interface ScriptRunFields {
  runId: string;
  workflowId: string;
  phase: 'pre' | 'post';
  /** Post scripts only. */
  outcome?: { success: boolean; status: string; warnings: number; snapshotId: string | null };
}

export interface ServerScriptInput extends ScriptRunFields {
  scriptId: number;
  plan: BackupPlan;
}

export interface ServerScriptResult {
  exitCode: number | null;
  overrides: RunOverrides;
  /** Output lines that were not overrides (pre scripts); also in the run log. */
  warnings: string[];
}

/** Library scripts run on the server worker before and after a backup. */
export interface ServerScriptActivities {
  runServerScript(input: ServerScriptInput): Promise<ServerScriptResult>;
}
