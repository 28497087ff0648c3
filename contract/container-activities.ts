// The agent's container steps (task queue agent.<name>) as workflows/backup.ts and
// workflows/container-restore.ts call them (activities/agent/container/container-activities.ts).
import type { ContainerPlan, ContainerRestoreFormat, ContainerRunDetails, ContainerSource } from './container';

export interface ContainerRestoreTarget {
  /** The directory, symlinks resolved, inside the agent's restore roots; new or empty. */
  target: string;
  format: ContainerRestoreFormat;
}

export interface ContainerRestoreStepInput {
  runId: string;
  workflowId: string;
  repository: { id: number; url: string };
  snapshotId: string;
  /** What the backup stored (its run's details.container). */
  container: ContainerRunDetails['container'];
  target: ContainerRestoreTarget;
}

export interface ContainerRestoreResult {
  /** `<target>/rootfs` (directory) or `<target>/rootfs.tar` (tar). */
  rootfs: string;
  /** Configuration files written, as paths on the agent (under `<target>/config/`). */
  configFiles: string[];
  /** Members in the tar (tar only). */
  members: number | null;
  bytesWritten: number;
}

export interface ContainerAgentActivities {
  /** Where the container's root filesystem and configuration are, and whether it runs: the run's paths. */
  resolveContainer(input: { runId: string; container: ContainerSource }): Promise<ContainerPlan>;
  /** Freezes a running LXC container (lxc-freeze); `frozen` false when it was not running or already frozen by someone else. */
  freezeContainer(input: { runId: string; name: string }): Promise<{ frozen: boolean }>;
  /** Thaws what freezeContainer froze (lxc-unfreeze); thawing a container that is not frozen is fine. */
  thawContainer(input: { runId: string; name: string }): Promise<void>;
  /** Refuses, before anything is written, a target this agent may not write. */
  checkContainerRestoreTarget(input: { runId: string; target: string; format: ContainerRestoreFormat }): Promise<ContainerRestoreTarget>;
  /** Writes the snapshot's root filesystem and configuration into the checked target; a retry writes them again. */
  restoreContainerSnapshot(input: ContainerRestoreStepInput): Promise<ContainerRestoreResult>;
}
