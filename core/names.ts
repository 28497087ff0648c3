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
} as const;
export type WorkflowKind = (typeof WorkflowKind)[keyof typeof WorkflowKind];

/** `<kind>/<jobId>/<timestamp>` so the Web UI lists a job's runs together. */
export function workflowIdFor(kind: WorkflowKind, jobId: number | string, at: Date): string {
  // Second precision keeps ids readable; two runs of one job in the same second are
  // rejected by Temporal's id reuse check rather than silently merged.
  const ts = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${kind}/${jobId}/${ts}`;
}

/** `<kind>/repository-<id>/<timestamp>` for runs of a repository rather than a job (prune, sync). */
export function workflowIdForRepository(kind: WorkflowKind, repositoryId: number, at: Date): string {
  return workflowIdFor(kind, `repository-${repositoryId}`, at);
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
