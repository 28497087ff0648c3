// Pull mode as workflows/backup.ts sees it: the agent exports its (frozen) paths read-only
// (activities/agent/export/), the server worker mounts the export with FUSE and runs the
// engine against it (activities/server/pull/). Restores the other way round: the server
// worker streams the snapshot over the agent's mTLS channel into the checked target (a tar
// archive that GNU tar writes there), so an agent without the repository's secret can still
// be restored to.
// Plain data: it travels in workflow history.
import type { BackupStepResult } from './backup-activities';
import type { RestoreOverwrite, RestoreSummary } from './engine';
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

export interface StartRestoreExportInput {
  runId: string;
  snapshotId: string;
  /** As checkRestoreTarget returned it: a real directory inside the agent's restore roots. */
  target: string;
}

/** The agent's side (task queue agent.<name>). */
export interface ExportActivities {
  /** Opens the run's export, or returns the one already open (a retried step). */
  startExport(input: StartExportInput): Promise<ExportEndpoint>;
  /**
   * Opens the run's import into a restore target (checked against the agent's restore roots
   * again, made if new): each connection streams an archive into it. Or returns the one open.
   */
  startRestoreExport(input: StartRestoreExportInput): Promise<ExportEndpoint>;
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

export interface ServerRestoreInput {
  runId: string;
  workflowId: string;
  /** The target agent: the only peer accepted on the export. */
  agentName: string;
  snapshotId: string;
  repository: { id: number; url: string };
  export: ExportEndpoint;
  /** The target on the agent, as the export shows it. */
  target: string;
  include: string[];
  /** Null (a new directory) or `always`: the policies a re-run converges with (see workflows/restore.ts). */
  overwrite: RestoreOverwrite | null;
  verify: boolean;
}

/** The server worker's side (task queue backstop.server). */
export interface PullActivities {
  /**
   * Mounts the export (sshfs over the mTLS channel, in a private mount namespace), runs the
   * engine on it, unmounts: one activity, because the mount belongs to the process that
   * holds its connection. Adopts the snapshot an earlier attempt wrote, as push mode does.
   */
  runPullBackup(input: PullBackupInput): Promise<BackupStepResult>;
  /** Streams the snapshot (or its included paths) into the agent's import, then compares it there; a retry streams again and converges. */
  runServerRestore(input: ServerRestoreInput): Promise<RestoreSummary>;
}

// The import channel of a server restore (activities/agent/export/import-commands.ts): the
// server names what it sends in one line, the agent answers in one line once tar has ended.
export type ImportMode = 'extract' | 'compare';

export interface ImportStatus {
  exitCode: number | null;
  /** Archive members written (extract); 0 for compare. */
  members: number;
  /** The end of what tar printed on stderr (and, for compare, the differences it found). */
  output: string;
}

/** Reads an agent's answer line; null when it is not one. */
export function parseImportStatus(line: string): ImportStatus | null {
  try {
    const v = JSON.parse(line) as Partial<ImportStatus>;
    if (typeof v !== 'object' || v === null || typeof v.members !== 'number' || typeof v.output !== 'string') return null;
    return { exitCode: typeof v.exitCode === 'number' ? v.exitCode : null, members: v.members, output: v.output };
  } catch {
    return null;
  }
}
