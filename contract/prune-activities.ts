// Maintenance activities as workflows/prune.ts and workflows/check.ts call them
// (activities/server/prune-activities.ts): all on the server worker, which holds the
// repository's password.
import type { RunStatus } from './model';
import type { EngineKind, PruneOutcome } from './engine';
import type { RetentionPolicy } from './retention';
import type { HookResult } from './backup-activities';

/** What a prune run needs to know; references and policies only, never secrets. */
export interface PrunePlan {
  repository: { id: number; name: string };
  /** Jobs of this repository that have a retention policy; the others keep everything. */
  jobs: Array<{ id: number; name: string; retention: RetentionPolicy }>;
  postPruneScript: string | null;
  /** The repository has an S3 sync target: a successful prune is followed by a sync. */
  s3Sync: boolean;
}

export interface ForgetJobResult {
  jobId: number;
  kept: number;
  removed: number;
  removedSnapshots: string[];
}

export interface CatalogSyncResult {
  added: number;
  removed: number;
  snapshots: number;
}

/** What a check run needs to know: the repository, never its secrets. */
export interface CheckPlan {
  repository: { id: number; name: string; engine: EngineKind };
}

/** A check that found nothing wrong (a damaged repository fails the activity instead). */
export interface CheckOutcome {
  engine: EngineKind;
  durationSeconds: number;
}

export interface FinishMaintenanceRunInput {
  runId: string;
  status: RunStatus;
  warnings: string[];
  failureReason: string | null;
  details: Record<string, unknown>;
}

export interface MaintenanceActivities {
  preparePrune(input: { runId: string; repositoryId: number; workflowId: string }): Promise<PrunePlan>;
  forgetJobSnapshots(input: { runId?: string; repositoryId: number; jobId: number; policy: RetentionPolicy }): Promise<ForgetJobResult>;
  pruneRepository(input: { runId?: string; repositoryId: number }): Promise<PruneOutcome>;
  syncCatalogSnapshots(input: { repositoryId: number }): Promise<CatalogSyncResult>;
  runPostPruneScript(input: { command: string; runId: string; repositoryId: number; repositoryName: string; success: boolean }): Promise<HookResult>;
  finishMaintenanceRun(input: FinishMaintenanceRunInput): Promise<void>;
  /** Marks the check run running; refuses an engine that cannot be checked (PBS). */
  prepareCheck(input: { runId: string; repositoryId: number; workflowId: string }): Promise<CheckPlan>;
  /** The engine's check, its lines in the run log; RepositoryDamagedError names what it found. */
  checkRepository(input: { runId: string; repositoryId: number }): Promise<CheckOutcome>;
}
