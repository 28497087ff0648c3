// Restore activities as workflows/restore.ts calls them: the target agent's steps
// (activities/agent/restore-activities.ts) and the server's run bookkeeping
// (activities/server/restore-activities.ts).
import type { BackupProgress, RunStatus } from './model';
import type { RestoreOverwrite, RestoreSummary } from './engine';

export interface RestoreTargetInput {
  runId: string;
  snapshotId: string;
  snapshotPaths: string[];
  /** Null: a new directory under the agent's first restore root. */
  target: string | null;
  include: string[];
}

export interface RestoreTargetResult {
  /** The real (symlink-free) directory restic will write into. */
  target: string;
  /** The target already existed: an in-place restore into existing content. */
  existed: boolean;
  include: string[];
}

export interface RestoreStepInput {
  runId: string;
  workflowId: string;
  snapshotId: string;
  snapshotPaths: string[];
  repository: { id: number; url: string };
  /** As returned by checkRestoreTarget. */
  target: string;
  include: string[];
  /** Null: the engine's default (a new directory). */
  overwrite: RestoreOverwrite | null;
  verify: boolean;
}

/** Same shape as the backup heartbeat, so the API reads live progress of either. */
export interface RestoreHeartbeat {
  phase: 'starting' | 'planning' | 'resuming' | 'restoring';
  progress: BackupProgress | null;
}

export interface RestoreHookInput {
  command: string;
  success: boolean;
  runId: string;
  snapshotId: string;
  target: string | null;
}

/** The target agent's restore steps (task queue agent.<name>). */
export interface RestoreAgentActivities {
  /** Checks the target against the agent's restore roots; creates a new directory when none is given. */
  checkRestoreTarget(input: RestoreTargetInput): Promise<RestoreTargetResult>;
  runRestore(input: RestoreStepInput): Promise<RestoreSummary>;
  runRestoreHook(input: RestoreHookInput): Promise<{ exitCode: number | null; output: string[] }>;
}

export interface RestoreRunRef {
  runId: string;
  workflowId: string;
  jobId: number | null;
  repositoryId: number;
  /** The target agent. */
  agentName: string;
  /** Where the engine runs (absent: the agent); only an `agent` restore lets its agent fetch the secret. */
  engineSite?: 'agent' | 'server';
}

export interface FinishRestoreInput {
  runId: string;
  status: RunStatus;
  snapshotId: string;
  warnings: string[];
  failureReason: string | null;
  details: Record<string, unknown>;
}

/** The server's bookkeeping of a restore run (task queue backstop.server). */
export interface RestoreServerActivities {
  /** Marks the run running and returns where the repository is (never its password). */
  startRestoreRun(input: RestoreRunRef): Promise<{ repository: { id: number; name: string; url: string } }>;
  markRestoreAwaitingApproval(input: RestoreRunRef): Promise<void>;
  markRestoreRunning(input: RestoreRunRef): Promise<void>;
  finishRestoreRun(input: FinishRestoreInput): Promise<void>;
  notifyRestore(input: { runId: string; snapshotId: string; agentName: string; status: RunStatus; failureReason: string | null }): Promise<void>;
}
