// withRepositoryLock: the workflow side of the repository lock. Asks the lock workflow
// for the lock (through a server activity, since workflows cannot signalWithStart), waits
// for the grant signal, runs `fn`, and always releases, also when `fn` fails or the
// workflow is cancelled while waiting or holding.
import { CancellationScope, condition, getExternalWorkflowHandle, log, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { LockActivities, LockMode } from '../contract/repository-lock';
import { SERVER_TASK_QUEUE, repositoryLockWorkflowId } from '../contract/names';
import { lockGrantedSignal, releaseLockSignal } from './repository-lock';

const lock = proxyActivities<LockActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

// Module state is per workflow execution in the sandbox. One handler serves every lock
// this workflow takes, so two locks held at once (two repositories) both see their grant.
const granted = new Set<string>();

const REQUEST_AGAIN_EVERY = '1 minute';

export interface LockOptions {
  /** Called once the request is queued and before the grant arrives. */
  onWaiting?: () => void;
  /** Called once the lock is held. */
  onGranted?: () => void;
  /**
   * How the request is sent: by default a server activity; a workflow on the server worker
   * may send it as a local activity instead (one task round trip less). Either way it is
   * idempotent: the lock ignores a request id it knows.
   */
  request?: LockActivities['requestRepositoryLock'];
  /**
   * Takes the release (the signal to the lock workflow, never failing) instead of waiting
   * for it here: the caller's cleanup then starts in the same workflow task, and the caller
   * awaits the promise before it ends.
   */
  deferRelease?: (released: Promise<void>) => void;
}

export async function withRepositoryLock<T>(repositoryId: number, mode: LockMode, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  setHandler(lockGrantedSignal, (g) => {
    granted.add(g.requestId);
  });
  const { workflowId, runId } = workflowInfo();
  const requestId = uuid4();
  const request = { repositoryId, holderId: workflowId, holderRunId: runId, requestId, mode };
  const send = opts.request ?? lock.requestRepositoryLock;
  try {
    await send(request);
    if (!granted.has(requestId)) opts.onWaiting?.();
    while (!(await condition(() => granted.has(requestId), REQUEST_AGAIN_EVERY))) {
      // A request is lost if the lock workflow ended idle just as it arrived, or was
      // terminated. Asking again is harmless: the lock ignores a request id it knows.
      await send(request);
    }
    opts.onGranted?.();
    return await fn();
  } finally {
    granted.delete(requestId);
    const released = CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(repositoryLockWorkflowId(repositoryId)).signal(releaseLockSignal, { holderId: workflowId, requestId });
      } catch (err) {
        // The lock workflow is not running (it never started, or ended idle): nothing is held.
        log.warn('repository lock release not delivered', { repositoryId, error: String(err) });
      }
    });
    if (opts.deferRelease) opts.deferRelease(released);
    else await released;
  }
}
