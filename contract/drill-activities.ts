// Drill activities as workflows/drill.ts calls them: the server's bookkeeping and the
// engine's check (activities/server/drill-activities.ts), the sample restore wherever it runs
// (activities/shared/drill/sample-activities.ts: the chosen agent, or the server worker for a
// pull job), and the scratch databases on the job's agent (activities/agent/drill-db-activities.ts).
import type { RunStatus } from './model';
import type { EngineKind } from './engine';
import type { LockMode } from './repository-lock';
import type { DrillDatabase, DrillEvidence, DrillFiles, DrillIntegrity, DrillSettings } from './drill';

/** A database dump of the drilled backup: a stream (its own snapshot) or a file in the files snapshot. */
export interface DrillDumpRef {
  configId: number;
  snapshotId: string;
  /** The dump's path in that snapshot. */
  path: string;
}

/** What a drill run needs to know: references and settings, never secrets. */
export interface DrillPlan {
  job: { id: number; name: string; agentName: string; mode: 'push' | 'pull' };
  repository: { id: number; name: string; url: string; engine: EngineKind };
  settings: DrillSettings;
  /** Where the sample is restored: an agent's queue, or the server worker's for a pull job. */
  sample: { site: 'agent' | 'server'; agentName: string };
  /**
   * The repository lock the drill holds: shared for restic (its check runs without restic's
   * own lock, and only a prune, which needs the exclusive lock, could take packs away),
   * exclusive for borg (borg check locks the repository itself and cannot run beside a writer).
   */
  lockMode: LockMode;
  /** The job's latest files snapshot; null when it has none yet. */
  snapshot: { id: string; time: string; paths: string[]; backupRunId: string | null } | null;
  /** The backup's database streams (their own snapshots); directory-mode dumps are found in the files snapshot. */
  streams: DrillDumpRef[];
}

export interface DrillCheckInput {
  runId: string;
  repositoryId: number;
  readDataPercent: number;
  verifyArchives: number;
}

export interface DrillSampleInput {
  runId: string;
  workflowId: string;
  repository: { id: number; url: string };
  snapshot: { id: string; paths: string[] };
  /** The backup run whose directory-mode dumps (plugin-work/<run>/…) are looked for in the listing. */
  backupRunId: string | null;
  sample: { files: number; bytes: number; newest: number; seed: string };
}

export interface DrillSampleResult {
  files: DrillFiles;
  /** Directory-mode database dumps found in the snapshot (their configuration and path). */
  dumps: Array<{ configId: number; path: string }>;
}

export interface DrillDatabaseInput {
  runId: string;
  workflowId: string;
  repository: { id: number; url: string };
  dump: DrillDumpRef;
  scratchDatabase: string;
  /** The configuration's probe query, if its job's drill settings give one. */
  probe: string | null;
}

export interface FinishDrillInput {
  runId: string;
  status: RunStatus;
  warnings: string[];
  failureReason: string | null;
  snapshotId: string | null;
  details: DrillEvidence;
}

/** The server's part (task queue backstop.server). */
export interface DrillServerActivities {
  /** Marks the run running; refuses an engine that cannot be drilled (PBS). */
  prepareDrill(input: { runId: string; workflowId: string; jobId: number; agentName?: string | null }): Promise<DrillPlan>;
  /** The engine's check with a bounded read of data; damage is a result (the drill goes on to show what it affects), not a throw. */
  checkDrillRepository(input: DrillCheckInput): Promise<DrillIntegrity>;
  finishDrill(input: FinishDrillInput): Promise<void>;
}

/** The sample restore, on the chosen agent's queue or the server worker's. */
export interface DrillSampleActivities {
  /** Lists the snapshot, picks the sample, restores it into the run's scratch directory and compares each file; removes the directory. */
  drillSampleFiles(input: DrillSampleInput): Promise<DrillSampleResult>;
  /** Removes the run's scratch directory (the cleanup's second line: the sample removes its own). */
  removeDrillScratch(input: { runId: string }): Promise<void>;
}

/** The scratch databases, on the job's agent (its plugin configurations reach the database servers). */
export interface DrillDatabaseActivities {
  /** Restores one dump into its scratch database, probes it and drops it; a dump that does not restore is a `failed` result. */
  drillDatabase(input: DrillDatabaseInput): Promise<DrillDatabase>;
  /** Drops the scratch databases still there (a killed or cancelled attempt's); one already gone is fine. */
  dropDrillDatabases(input: { runId: string; databases: Array<{ configId: number; name: string }> }): Promise<{ warnings: string[] }>;
}
