// The repository lock's protocol: the messages the lock workflow (workflows/repository-lock.ts)
// exchanges with its holders, and the server activities it uses. Signal and query names are
// in names.ts.

export type LockMode = 'shared' | 'exclusive';

/** A holder is one run of a workflow; `requestId` tells its requests apart. */
export interface LockRequest {
  holderId: string;
  holderRunId: string;
  requestId: string;
  mode: LockMode;
}

export interface LockRelease {
  holderId: string;
  requestId: string;
}

export interface LockGrant {
  repositoryId: number;
  requestId: string;
}

export interface LockState {
  holders: LockRequest[];
  waiting: LockRequest[];
}

export interface RepositoryLockInput {
  repositoryId: number;
  /** State carried over by continue-as-new. */
  state?: LockState;
  /** How often (workflow time) holders and waiters are checked for closed executions. */
  checkHoldersEveryMs?: number;
  /** The workflow ends after this long with no holder and no waiter. */
  idleExitMs?: number;
  /** Continue as new once the history has this many events. */
  maxHistoryEvents?: number;
}

/** One run of a workflow, as the lock knows its holders. */
export interface HolderRef {
  workflowId: string;
  runId: string;
}

/** Server activities of the lock (activities/server/lock-activities.ts). */
export interface LockActivities {
  /** Queues a lock request, starting the repository's lock workflow if it is not running. */
  requestRepositoryLock(input: LockRequest & { repositoryId: number }): Promise<void>;
  /** The runs among `workflows` that are no longer running (or were never found). */
  findClosedWorkflows(input: { workflows: HolderRef[] }): Promise<HolderRef[]>;
}
