// Plugin activities as the workflows call them: the agent runs each plugin configuration
// (activities/agent/plugin-activities.ts); the server keeps the run rows of plugin tests and
// database restores (activities/server/plugin-run-activities.ts).
import type { RunStatus } from './model';
import type { EngineSnapshot } from './engine';
import type { PluginTestReport } from './plugin-api';

export interface PluginRunInput {
  runId: string;
  workflowId: string;
  jobId: number;
  jobName: string;
  configIds: number[];
}

export interface PluginBackupInput extends PluginRunInput {
  repository: { id: number; url: string };
  /** Tags a server pre script added (overrides), put on every stream snapshot too. */
  extraTags?: string[];
}

export interface PluginBackupResult {
  /** Files and directories the engine includes with the job's paths. */
  paths: string[];
  /** One engine snapshot per stream item, in order. */
  streams: Array<{ configId: number; item: string; pseudoPath: string; snapshot: EngineSnapshot; adopted: boolean }>;
}

export interface PluginRestoreInput {
  runId: string;
  workflowId: string;
  configId: number;
  repository: { id: number; url: string };
  snapshotId: string;
  /** The dump's path in the snapshot (a pseudo path, or a file in a dump directory). */
  path: string;
  target: string;
  overwrite: boolean;
}

export interface PluginCleanupInput extends PluginRunInput {
  success: boolean;
  snapshotId: string | null;
}

/** The agent's plugin steps (task queue agent.<name>). Each fetches its configurations from the API. */
export interface PluginActivities {
  /** jobInit + backupInit of each configuration (agent pre hooks). */
  pluginsBackupInit(input: PluginRunInput): Promise<void>;
  /** Dumps to the work directory (paths for the engine) and streams, one snapshot each. */
  pluginsBackup(input: PluginBackupInput): Promise<PluginBackupResult>;
  /** backupCleanup(success) + jobCleanup, in reverse order, always. */
  pluginsBackupCleanup(input: PluginCleanupInput): Promise<{ warnings: string[] }>;
  restorePluginItem(input: PluginRestoreInput): Promise<{ target: string }>;
  testPluginConfig(input: { runId: string; workflowId: string; configId: number }): Promise<PluginTestReport>;
}

export interface PluginRunRef {
  runId: string;
  workflowId: string;
  kind: 'plugin-test' | 'db-restore';
  agentName: string;
  repositoryId?: number | null;
}

export interface FinishPluginRunInput {
  runId: string;
  status: RunStatus;
  warnings: string[];
  failureReason: string | null;
  details: Record<string, unknown> | null;
  snapshotId?: string | null;
}

/** The server's bookkeeping of plugin tests and database restores (task queue backstop.server). */
export interface PluginRunActivities {
  startPluginRun(r: PluginRunRef): Promise<{ repository: { id: number; url: string } | null }>;
  finishPluginRun(r: FinishPluginRunInput): Promise<void>;
}
