// The workflows as other code sees them: their inputs and results, the messages they take,
// and a typed reference to each (`Workflows.backup`), so the API, schedules, child
// workflows and activities start them by reference and the compiler checks the input.
// workflows/index.ts holds each implementation to its reference's name and signature.
import type { BackupStats, RunStatus } from './model';
import type { EngineKind, PruneOutcome, RestoreOverwrite, RestoreSummary } from './engine';
import type { CatalogSyncResult, ForgetJobResult } from './prune-activities';
import type { PluginTestReport } from './plugin-api';
import type { ContainerRestoreFormat, ContainerRunDetails } from './container';
import type { RunStep } from './run-log';
import type { RepositoryLockInput } from './repository-lock';
import type { S3SyncOutcome, S3SyncVerification } from './sync-activities';
import type { SnapshotMountInput, SnapshotMountStatus } from './snapshot-mount';
import type { GuestFileMountInput, GuestFileMountStatus } from './guest-file-mount';
import type { GuestNbdExportInput, GuestNbdExportStatus } from './guest-nbd-export';
import type { NotificationDeliveryInput, NotificationDeliveryResult, NotificationWatchInput } from './notification-activities';
import type { DrillEvidence } from './drill';
import type { GuestSource } from './guest';
import type { GuestForgetResult } from './guest-activities';

export interface AgentStepTimeouts {
  /** How long a step may wait for its agent before the run fails as unreachable. */
  agentScheduleToStartMs?: number;
  /**
   * A step is presumed lost (and retried) after this long without a heartbeat: engines
   * heartbeat their progress, short steps on a clock (activities/shared/clock-heartbeat.ts).
   */
  engineHeartbeatTimeoutMs?: number;
}

export interface RunProgressState {
  step: RunStep;
  /** When the step started (workflow time). */
  since: string;
  /** Steps finished before this one, in order (a step run twice is listed twice). */
  done: RunStep[];
}

export interface BackupWorkflowInput {
  /**
   * The catalog run id. A schedule's action has fixed arguments, so scheduled runs come
   * without one and the workflow draws its own (uuid4 is deterministic on replay and adds
   * no command); prepareBackup then inserts the run row.
   */
  runId?: string;
  jobId: number;
  /** How long an agent step may wait for its agent before the run fails as unreachable. */
  agentScheduleToStartMs?: number;
  /** The engine is presumed dead (and the step retried) after this long without a heartbeat. */
  engineHeartbeatTimeoutMs?: number;
}

export interface BackupWorkflowResult {
  status: RunStatus;
  snapshotId: string | null;
  stats: BackupStats | null;
  warnings: string[];
  failureReason: string | null;
  /** Engine snapshots of plugin streams (database dumps, pipes), one per item; absent without plugins. */
  streamSnapshotIds?: string[];
}

/** What a deleted guest job leaves on its agent, cleaned up (workflows/guest-job-cleanup.ts). */
export interface GuestJobCleanupInput {
  jobId: number;
  agentName: string;
  guest: GuestSource;
}

/** A guest snapshot's disk (or the whole guest) back onto an agent (workflows/guest-restore.ts). */
export interface GuestRestoreWorkflowInput {
  runId: string;
  snapshot: { id: string; repositoryId: number; jobId: number | null; paths: string[] };
  agentName: string;
  /** One disk into `target` (an image file or a block device); null: the whole guest into the directory `target`. */
  disk: string | null;
  target: string;
  /** The operator asked for approval; the workflow adds it for a block device (BACKSTOP_RESTORE_APPROVAL). */
  requireApproval: boolean;
  approvalMode: 'destructive' | 'always' | 'never';
  approvalTimeoutMs: number;
  agentScheduleToStartMs?: number;
  engineHeartbeatTimeoutMs?: number;
}

export interface GuestRestoreWorkflowResult {
  status: RunStatus;
  target: string | null;
  approval: ApprovalDecision | null;
  warnings: string[];
  failureReason: string | null;
}

/** A container snapshot's root filesystem and configuration back onto an agent (workflows/container-restore.ts). */
export interface ContainerRestoreWorkflowInput {
  runId: string;
  snapshot: { id: string; repositoryId: number; jobId: number | null };
  /** What the backup stored: its run's details.container. */
  container: ContainerRunDetails['container'];
  agentName: string;
  /** A new directory inside the agent's restore roots. */
  target: string;
  format: ContainerRestoreFormat;
  agentScheduleToStartMs?: number;
  engineHeartbeatTimeoutMs?: number;
}

export interface ContainerRestoreWorkflowResult {
  status: RunStatus;
  target: string | null;
  warnings: string[];
  failureReason: string | null;
}

export interface RestoreWorkflowInput {
  runId: string;
  snapshot: { id: string; repositoryId: number; jobId: number | null; paths: string[] };
  /** The agent that writes the files (the target agent). */
  agentName: string;
  /** Null: a new directory named after the snapshot under the agent's first restore root. */
  target: string | null;
  /** restic --include paths or globs; empty restores the whole snapshot. */
  include: string[];
  /** Null: the engine's default, for a new directory. */
  overwrite: RestoreOverwrite | null;
  verify: boolean;
  requireApproval: boolean;
  /** Without a decision by then, the restore is rejected. */
  approvalTimeoutMs: number;
  postHook: string | null;
  /**
   * Where the engine runs: on the target agent (`agent`, which fetches the repository's
   * secret for the run) or on the server worker, writing through the agent's export of the
   * target (`server`: the agent never holds the secret). Absent (runs started before): agent.
   */
  via?: RestoreVia;
  agentScheduleToStartMs?: number;
  engineHeartbeatTimeoutMs?: number;
}

export type RestoreVia = 'agent' | 'server';

export interface ApprovalInput {
  /** Who decided: the name of the API token that sent the signal. */
  by: string;
  note?: string | null;
}

export interface ApprovalDecision {
  decision: 'approved' | 'rejected' | 'timed-out';
  by: string | null;
  note: string | null;
  at: string;
}

export interface RestoreWorkflowResult {
  status: RunStatus;
  target: string | null;
  summary: RestoreSummary | null;
  approval: ApprovalDecision | null;
  warnings: string[];
  failureReason: string | null;
}

export interface PruneWorkflowInput {
  /** Absent for scheduled prunes: the workflow draws one (uuid4) and preparePrune inserts the run row. */
  runId?: string;
  repositoryId: number;
  /** restic prune is presumed dead (and retried) after this long without a heartbeat. */
  pruneHeartbeatTimeoutMs?: number;
}

export type PrunePhase = 'preparing' | 'waiting-for-lock' | 'forgetting' | 'pruning' | 'syncing-catalog' | 'post-script' | 's3-sync' | 'finished';

export interface PruneDetails {
  jobs: Array<ForgetJobResult & { jobName: string }>;
  prune: PruneOutcome | null;
  catalog: CatalogSyncResult | null;
  postPruneScript: { exitCode: number | null } | null;
  /** The S3 sync started after the prune (its own run in /runs), if the repository has a target. */
  s3Sync?: { runId: string; workflowId: string; status: RunStatus; failureReason: string | null } | null;
}

export interface PruneWorkflowResult {
  status: RunStatus;
  details: PruneDetails;
  warnings: string[];
  failureReason: string | null;
}

export interface CheckWorkflowInput {
  /** Absent when started without one: the workflow draws one (uuid4) and prepareCheck inserts the run row. */
  runId?: string;
  repositoryId: number;
  /** The engine's check is presumed dead (and retried) after this long without a heartbeat. */
  checkHeartbeatTimeoutMs?: number;
}

export type CheckPhase = 'preparing' | 'waiting-for-lock' | 'checking' | 'finished';

/** A check run's `details`: which engine checked, and how long the check itself took (null if it did not finish). */
export interface CheckDetails {
  engine: EngineKind | null;
  durationSeconds: number | null;
}

export interface CheckWorkflowResult {
  status: RunStatus;
  details: CheckDetails;
  failureReason: string | null;
}

/** Exactly this shape: the prune workflow starts the sync as a child with it. */
export interface S3SyncWorkflowInput {
  /** Absent for scheduled syncs: the workflow draws one (uuid4) and prepareS3Sync inserts the run row. */
  runId?: string;
  repositoryId: number;
}

export interface S3SyncWorkflowResult {
  status: RunStatus;
  sync: S3SyncOutcome | null;
  verification: S3SyncVerification | null;
  failureReason: string | null;
}

export interface DbRestoreWorkflowInput extends AgentStepTimeouts {
  runId: string;
  agentName: string;
  /** The plugin configuration (of that agent) used to connect to the database server. */
  configId: number;
  repositoryId: number;
  snapshotId: string;
  /** The dump's path in the snapshot. */
  path: string;
  /** The database to restore into. */
  target: string;
  overwrite: boolean;
}

export interface DbRestoreWorkflowResult {
  status: RunStatus;
  target: string;
  failureReason: string | null;
}

export interface PluginTestWorkflowInput extends AgentStepTimeouts {
  runId: string;
  agentName: string;
  configId: number;
}

export interface PluginTestWorkflowResult {
  status: RunStatus;
  report: PluginTestReport | null;
  failureReason: string | null;
}

export interface DrillWorkflowInput extends AgentStepTimeouts {
  /** Absent for scheduled drills: the workflow draws one (uuid4) and prepareDrill inserts the run row. */
  runId?: string;
  jobId: number;
  /** The agent that restores the sample; absent: the job's drill settings say (default the job's own). */
  agentName?: string | null;
}

export interface DrillWorkflowResult {
  status: RunStatus;
  evidence: DrillEvidence;
  failureReason: string | null;
}

/** A workflow as other code starts it: the type name it is registered under, and its signature. */
export interface WorkflowRef<Name extends string, Input, Result> {
  readonly type: Name;
  /** Never set: carries the signature for the compiler. */
  readonly signature?: (input: Input) => Promise<Result>;
}

const ref =
  <Input, Result>() =>
  <Name extends string>(type: Name): WorkflowRef<Name, Input, Result> => ({ type });

export const Workflows = {
  backup: ref<BackupWorkflowInput, BackupWorkflowResult>()('backupWorkflow'),
  /** A guest job's backup (issue 19): same input and result as a files backup, its own steps. */
  guestBackup: ref<BackupWorkflowInput, BackupWorkflowResult>()('guestBackupWorkflow'),
  guestRestore: ref<GuestRestoreWorkflowInput, GuestRestoreWorkflowResult>()('guestRestoreWorkflow'),
  guestJobCleanup: ref<GuestJobCleanupInput, GuestForgetResult>()('guestJobCleanupWorkflow'),
  /** A guest disk restored into a new image and served over NBD on its agent until released (issue 19). */
  guestNbdExport: ref<GuestNbdExportInput, GuestNbdExportStatus>()('guestNbdExportWorkflow'),
  containerRestore: ref<ContainerRestoreWorkflowInput, ContainerRestoreWorkflowResult>()('containerRestoreWorkflow'),
  restore: ref<RestoreWorkflowInput, RestoreWorkflowResult>()('restoreWorkflow'),
  prune: ref<PruneWorkflowInput, PruneWorkflowResult>()('pruneWorkflow'),
  s3Sync: ref<S3SyncWorkflowInput, S3SyncWorkflowResult>()('s3SyncWorkflow'),
  dbRestore: ref<DbRestoreWorkflowInput, DbRestoreWorkflowResult>()('dbRestoreWorkflow'),
  pluginTest: ref<PluginTestWorkflowInput, PluginTestWorkflowResult>()('pluginTestWorkflow'),
  repositoryLock: ref<RepositoryLockInput, void>()('repositoryLockWorkflow'),
  snapshotMount: ref<SnapshotMountInput, SnapshotMountStatus>()('snapshotMountWorkflow'),
  /** One guest snapshot's disk, its filesystems mounted read-only on the server worker (issue 19). */
  guestFileMount: ref<GuestFileMountInput, GuestFileMountStatus>()('guestFileMountWorkflow'),
  check: ref<CheckWorkflowInput, CheckWorkflowResult>()('checkWorkflow'),
  drill: ref<DrillWorkflowInput, DrillWorkflowResult>()('drillWorkflow'),
  notificationDelivery: ref<NotificationDeliveryInput, NotificationDeliveryResult>()('notificationDeliveryWorkflow'),
  notificationWatch: ref<NotificationWatchInput, void>()('notificationWatchWorkflow'),
} as const;

/** The function type a reference stands for (what Temporal's typed start and executeChild take). */
export type WorkflowFunction<W> = W extends WorkflowRef<string, infer I, infer R> ? (input: I) => Promise<R> : never;
