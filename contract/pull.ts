// Pull mode as workflows/backup.ts sees it: the agent exports its (frozen) paths read-only
// (activities/agent/export/), the server worker mounts the export with FUSE and runs the
// engine against it (activities/server/pull/). Plain data: it travels in workflow history.
import type { BackupStepResult } from './backup-activities';
import type { SnapshotHandle } from './snapshot';

/** The name the server worker's certificate carries; agents accept no other peer for an export. */
export const SERVER_WORKER_IDENTITY = 'backstop-server-worker';

/**
 * Where the server worker dials an export (one per run, its own port, open until stopped).
 * Which agent must answer there is the plan's to say (PullBackupInput.agentName), never the
 * endpoint's: an agent reports its endpoint and could name another.
 */
export interface ExportEndpoint {
  runId: string;
  host: string;
  port: number;
}

export interface StartExportInput {
  runId: string;
  /** The job's paths; with a snapshot, shown from its frozen copies at these paths. */
  handle: SnapshotHandle;
}

/** The agent's side (task queue agent.<name>). */
export interface ExportActivities {
  /** Opens the run's export, or returns the one already open (a retried step). */
  startExport(input: StartExportInput): Promise<ExportEndpoint>;
  /** Idempotent: stopping an export that is gone (or never was) is fine. */
  stopExport(input: { runId: string }): Promise<void>;
}

export interface PullBackupInput {
  runId: string;
  workflowId: string;
  jobId: number;
  /** The run's agent: the only peer accepted on the export, and the snapshot's host, as in push mode. */
  agentName: string;
  repository: { id: number; url: string };
  export: ExportEndpoint;
  /** The original paths: restic records these, read through the mount. */
  paths: string[];
  excludes: string[];
  extraTags?: string[];
}

/** The server worker's side (task queue backstop.server). */
export interface PullActivities {
  /**
   * Mounts the export (sshfs over the mTLS channel, in a private mount namespace), runs the
   * engine on it, unmounts: one activity, because the mount belongs to the process that
   * holds its connection. Adopts the snapshot an earlier attempt wrote, as push mode does.
   */
  runPullBackup(input: PullBackupInput): Promise<BackupStepResult>;
}
