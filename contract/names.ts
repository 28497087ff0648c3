// Every name that crosses a process boundary lives here: task queues, workflow ids,
// search attributes and engine tags. Workflows import this module, so it must stay free
// of Node APIs.

export const SERVER_TASK_QUEUE = 'backstop.server';

export function agentTaskQueue(agentName: string): string {
  return `agent.${agentName}`;
}

export const WorkflowKind = {
  backup: 'backup',
  restore: 'restore',
  prune: 'prune',
  s3Sync: 's3-sync',
  check: 'check',
  drill: 'drill',
} as const;
export type WorkflowKind = (typeof WorkflowKind)[keyof typeof WorkflowKind];

/** `<kind>/<jobId>/<timestamp>` so the Web UI lists a job's runs together. */
export function workflowIdFor(kind: WorkflowKind, jobId: number | string, at: Date): string {
  // Second precision keeps ids readable; two runs of one job in the same second are
  // rejected by Temporal's id reuse check rather than silently merged.
  const ts = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${kind}/${jobId}/${ts}`;
}

/** `<kind>/repository-<id>/<timestamp>` for runs of a repository rather than a job (prune, sync, check). */
export function workflowIdForRepository(kind: WorkflowKind, repositoryId: number, at: Date): string {
  return workflowIdFor(kind, `repository-${repositoryId}`, at);
}

/** The one cleanup of a deleted guest job (workflows/guest-job-cleanup.ts). */
export function guestJobCleanupWorkflowId(jobId: number): string {
  return `guest-job-cleanup/${jobId}`;
}

/** The one long-lived lock workflow per repository (see workflows/repository-lock.ts). */
export function repositoryLockWorkflowId(repositoryId: number): string {
  return `repository-lock/${repositoryId}`;
}

/** Signals and queries of the repository lock; holders receive `lockGranted`. */
export const LockSignal = {
  acquire: 'acquireRepositoryLock',
  release: 'releaseRepositoryLock',
  granted: 'repositoryLockGranted',
} as const;
export const LOCK_STATE_QUERY = 'repositoryLockState';

export const SearchAttribute = {
  jobId: 'BackstopJobId',
  agent: 'BackstopAgent',
  kind: 'BackstopKind',
  repository: 'BackstopRepository',
  outcome: 'BackstopOutcome',
} as const;

/**
 * The agent process's exit code once the API refused it (revoked): a supervisor must not
 * start it again with the same credentials (workers/embedded/up.ts keeps it down and says why).
 */
export const AGENT_EXIT_REVOKED = 3;

/** Query every run workflow answers with its current step (workflows/run-progress.ts). */
export const RUN_PROGRESS_QUERY = 'runProgress';

/** Tag put on every engine snapshot, so a retried attempt finds the snapshot of its run. */
export function runTag(workflowId: string): string {
  return `backstop-run=${workflowId}`;
}

export const JOB_TAG_PREFIX = 'backstop-job=';

/** Signals an operator sends to a restore waiting in `awaiting-approval`. */
export const RestoreSignal = {
  approve: 'approve',
  reject: 'reject',
} as const;

// --- schedules ------------------------------------------------------------------------
/** What a Temporal Schedule of Backstop starts: a job's backups or restore drills, a repository's prunes or S3 syncs. */
export const ScheduleKind = {
  backup: 'backup',
  prune: 'prune',
  s3Sync: 's3-sync',
  drill: 'drill',
} as const;
export type ScheduleKind = (typeof ScheduleKind)[keyof typeof ScheduleKind];

/** Schedules that belong to a job (its backups, its drills); the others belong to a repository. */
export function isJobScheduleKind(kind: ScheduleKind): kind is 'backup' | 'drill' {
  return kind === ScheduleKind.backup || kind === ScheduleKind.drill;
}

/** Every Backstop schedule id starts with one of these; reconcile deletes unknown ones under them. */
export const SCHEDULE_ID_PREFIXES: readonly string[] = Object.values(ScheduleKind).map((k) => `${k}-schedule/`);

/** `backup-schedule/<jobId>`, `drill-schedule/<jobId>`, `prune-schedule/repository-<id>`, `s3-sync-schedule/repository-<id>`. */
export function scheduleIdFor(kind: ScheduleKind, ownerId: number): string {
  return isJobScheduleKind(kind) ? `${kind}-schedule/${ownerId}` : `${kind}-schedule/repository-${ownerId}`;
}

/**
 * The workflow id a schedule's action carries: `<kind>/<jobId>/scheduled` (backups, drills) or
 * `<kind>/repository-<id>/scheduled`. Temporal appends the firing's time, so a scheduled
 * run's id is e.g. `backup/42/scheduled-2026-11-22T02:00:00Z`, listed with the job's other runs.
 */
export function scheduledWorkflowIdFor(kind: ScheduleKind, ownerId: number): string {
  return isJobScheduleKind(kind) ? `${kind}/${ownerId}/scheduled` : `${kind}/repository-${ownerId}/scheduled`;
}

/**
 * The one catch-up run of a scheduled backup missed because its agent was unreachable:
 * `backup/<jobId>/catchup-<missed run's start>`. Derived from the missed run, so a second
 * registration of the agent cannot start a second catch-up.
 */
export function catchUpWorkflowId(jobId: number, missedRunStartedAt: Date): string {
  return `backup/${jobId}/catchup-${missedRunStartedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** True for the workflow id of a run a backup schedule started (not a manual or catch-up run). */
export function isScheduledBackupWorkflowId(jobId: number, workflowId: string): boolean {
  return workflowId.startsWith(`${scheduledWorkflowIdFor(ScheduleKind.backup, jobId)}-`);
}

// --- plugins (issue 5) ------------------------------------------------------------------
/**
 * Tag of an engine snapshot that holds one plugin stream (a database dump, a pipe) of a run:
 * `backstop-item=<configId>/<item>`. With the run tag, a retried attempt adopts the stream's
 * snapshot instead of writing it twice.
 */
export function itemTag(configId: number, item: string): string {
  return `${ITEM_TAG_PREFIX}${configId}/${item}`;
}

export const ITEM_TAG_PREFIX = 'backstop-item=';

/** The files snapshot of a run, not one of its plugin streams (which carry the run tag too). */
export function isFilesSnapshot(tags: readonly string[]): boolean {
  return !tags.some((t) => t.startsWith(ITEM_TAG_PREFIX));
}

/** `plugin-test/agent-<name>/config-<id>/<time>` */
export function pluginTestWorkflowId(agentName: string, configId: number, at: Date): string {
  return `plugin-test/agent-${agentName}/config-${configId}/${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** `db-restore/agent-<name>/<time>` */
export function dbRestoreWorkflowId(agentName: string, at: Date): string {
  return `db-restore/agent-${agentName}/${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

// --- snapshot mounts (issue 13) ---------------------------------------------------------
/** `snapshot-mount/<snapshot id>`: at most one mount of a snapshot runs at a time. */
export function snapshotMountWorkflowId(snapshotId: string): string {
  return `snapshot-mount/${snapshotId}`;
}

/** `guest-file-mount/<snapshot id>/<disk>`: at most one mount of a guest snapshot's disk runs at a time. */
export function guestFileMountWorkflowId(snapshotId: string, disk: string): string {
  return `guest-file-mount/${snapshotId}/${disk}`;
}
