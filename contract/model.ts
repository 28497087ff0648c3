// The domain model shared by the catalog, the API, the workflows and the activities.
// Workflows import these types only; keep this file free of runtime Node dependencies.
import type { EngineKind } from './engine';
import type { RetentionPolicy } from './retention';
import type { GuestSource, JobKind } from './guest';
import type { ContainerSource } from './container';
// Types only (erased): where the API's schema and the model have one shape, the schema's
// is the model's, so the two cannot drift apart. Field docs are in openapi/backstop.yaml.
import type { components } from './generated/api-schema';

type Schemas = components['schemas'];

export const RunStatus = {
  queued: 'queued',
  /** A destructive restore waiting for an operator's approve or reject. */
  awaitingApproval: 'awaiting-approval',
  running: 'running',
  succeeded: 'succeeded',
  /** Snapshot stored, but some source files could not be read (restic exit code 3). */
  warning: 'warning',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'warning', 'failed', 'cancelled'];

export const SnapshotMode = {
  /** Read the live filesystem. */
  none: 'none',
  /** Per source path, whatever its filesystem offers (btrfs, LVM, ZFS); else `none`, with a warning. */
  auto: 'auto',
  /** A read-only btrfs snapshot of the subvolume holding each path. */
  btrfs: 'btrfs',
  /** An LVM snapshot (classic or thin) of the logical volume holding each path, mounted read-only. */
  lvm: 'lvm',
  /** A ZFS snapshot of the dataset holding each path, read through `.zfs/snapshot`. */
  zfs: 'zfs',
} as const;
export type SnapshotMode = (typeof SnapshotMode)[keyof typeof SnapshotMode];

/** Where a job's engine runs, and so who holds the repository password. */
export const JobMode = {
  /** The agent runs the engine against the repository; it fetches the password for each run. */
  push: 'push',
  /**
   * The agent only exports a read-only view of its paths; the server worker runs the engine
   * against that view, so the password never leaves the server. No plugins, and never `/`.
   */
  pull: 'pull',
} as const;
export type JobMode = (typeof JobMode)[keyof typeof JobMode];

/** True when `A` and `B` are the same set of values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/** The value sets above are the schema's enums: a value added on one side only fails the typecheck. */
export type EnumsMatchTheSchema = Holds<
  Same<RunStatus, Schemas['RunStatus']> | Same<RunKind, Schemas['RunKind']> | Same<SnapshotMode, Schemas['SnapshotMode']> | Same<JobMode, Schemas['JobMode']> | Same<JobKind, Schemas['JobKind']>
>;

/** An agent as recorded; `status` comes from the last heartbeat (core/agent-health.ts). */
export type Agent = Schemas['Agent'];

/** What an agent found on its machine (reported with each heartbeat). */
export type AgentCapabilities = Schemas['AgentCapabilities'];

export interface Repository {
  id: number;
  name: string;
  /** The engine's location: a local path, `s3:<endpoint>/<bucket>/<prefix>` (restic), `ssh://…` (borg), `user@realm!token@host:datastore` (pbs). */
  url: string;
  engine: EngineKind;
  /** borg: served append-only, so Backstop never prunes it. */
  appendOnly: boolean;
  /** pbs: the server's fingerprint and the namespace; null for other engines. */
  pbs: { fingerprint: string; namespace: string | null } | null;
  /** Shell command run on the server worker after each prune, whatever its outcome. */
  postPruneScript: string | null;
  createdAt: string;
}

export interface Job {
  id: number;
  name: string;
  agentName: string;
  repositoryId: number;
  /** What the job backs up: its paths (`files`) or a VM guest on its agent's host (`guest`). */
  kind: JobKind;
  /** A guest job's source; null for a files job. */
  guest: GuestSource | null;
  /** A container job's source; null for any other job. */
  container: ContainerSource | null;
  /** A files job's paths; empty for a guest job. */
  paths: string[];
  excludes: string[];
  snapshotMode: SnapshotMode;
  mode: JobMode;
  /** Shell command run on the server worker before the backup; non-zero exit aborts it. */
  preScript: string | null;
  /** Shell command run on the agent after the backup, whatever its outcome. */
  postHook: string | null;
  /** Which snapshots a prune keeps; null keeps every snapshot. */
  retention: RetentionPolicy | null;
  createdAt: string;
}

/** The engine's progress, as its heartbeats carry it. */
export type BackupProgress = Schemas['Progress'];

/** What a backup stored (restic's summary). */
export type BackupStats = Schemas['Stats'];

export const RunKind = {
  backup: 'backup',
  restore: 'restore',
  prune: 'prune',
  s3Sync: 's3-sync',
  pluginTest: 'plugin-test',
  dbRestore: 'db-restore',
  check: 'check',
  /** A restore drill of a job (issue 17): check, sample restore, database probes. */
  drill: 'drill',
} as const;
export type RunKind = (typeof RunKind)[keyof typeof RunKind];

export interface Run {
  id: string;
  /** Null for runs that belong to a repository rather than a job (prune, S3 sync, check). */
  jobId: number | null;
  kind: RunKind;
  repositoryId: number | null;
  /** The agent whose worker does the work; null for server-only runs. */
  agentName: string | null;
  workflowId: string;
  status: RunStatus;
  snapshotId: string | null;
  stats: BackupStats | null;
  warnings: string[];
  failureReason: string | null;
  /** Kind-specific outcome (restore target and verification, prune result, sync stats). */
  details: Record<string, unknown> | null;
  startedAt: string;
  finishedAt: string | null;
  /** The token name that asked for the run's cancellation (the first one); null if nobody did. */
  cancelledBy: string | null;
}

/** A snapshot as the catalog records it. */
export type Snapshot = Schemas['Snapshot'];
