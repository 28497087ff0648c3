// RepositoryLockWorkflow: one long-lived workflow per repository (`repository-lock/<id>`)
// that serialises what must not overlap in a restic repository. Backups, restores and
// syncs hold it `shared`; prune holds it `exclusive`.
//
//   acquire signal ─▶ FIFO queue ─▶ grant (signal to the holder) ─▶ release signal
//
// Requests are served strictly in arrival order: a shared request behind a waiting
// exclusive one waits too, so a stream of backups never starves a prune. A holder that
// disappears without releasing (terminated, timed out) is found by a periodic check of
// the holders' executions and dropped. The workflow continues as new after a bounded
// history, carrying its state, and ends once it has been idle for a while; the next
// acquire (signalWithStart) starts it again.
import { condition, continueAsNew, defineQuery, defineSignal, getExternalWorkflowHandle, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { LockActivities, LockGrant, LockRelease, LockRequest, LockState, RepositoryLockInput } from '../contract/repository-lock';
import { LOCK_STATE_QUERY, LockSignal, SERVER_TASK_QUEUE } from '../contract/names';

export const acquireLockSignal = defineSignal<[LockRequest]>(LockSignal.acquire);
export const releaseLockSignal = defineSignal<[LockRelease]>(LockSignal.release);
export const lockGrantedSignal = defineSignal<[LockGrant]>(LockSignal.granted);
export const lockStateQuery = defineQuery<LockState>(LOCK_STATE_QUERY);

const activities = proxyActivities<LockActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
});

/** FIFO: the head of the queue is granted when compatible with every holder; the rest wait behind it. */
export function grantable(holders: readonly LockRequest[], waiting: readonly LockRequest[]): number {
  let n = 0;
  const held = [...holders];
  for (const next of waiting) {
    const ok = next.mode === 'exclusive' ? held.length === 0 : !held.some((h) => h.mode === 'exclusive');
    if (!ok) break;
    held.push(next);
    n++;
  }
  return n;
}

export async function repositoryLockWorkflow(input: RepositoryLockInput): Promise<void> {
  const checkEvery = input.checkHoldersEveryMs ?? 60_000;
  const idleExit = input.idleExitMs ?? 10 * 60_000;
  const maxEvents = input.maxHistoryEvents ?? 2_000;
  const holders: LockRequest[] = [...(input.state?.holders ?? [])];
  const waiting: LockRequest[] = [...(input.state?.waiting ?? [])];
  let changed = false;

  const drop = (list: LockRequest[], keep: (r: LockRequest) => boolean): void => {
    const kept = list.filter(keep);
    if (kept.length !== list.length) changed = true;
    list.splice(0, list.length, ...kept);
  };

  setHandler(acquireLockSignal, (req) => {
    // A retried acquire activity may deliver the same request twice.
    if ([...holders, ...waiting].some((r) => r.requestId === req.requestId)) return;
    waiting.push(req);
    changed = true;
  });
  setHandler(releaseLockSignal, (rel) => {
    // Releasing a waiting request withdraws it (a holder cancelled while it waited).
    drop(holders, (r) => r.requestId !== rel.requestId);
    drop(waiting, (r) => r.requestId !== rel.requestId);
  });
  setHandler(lockStateQuery, () => ({ holders: [...holders], waiting: [...waiting] }));

  const grant = async (): Promise<void> => {
    const granted = waiting.splice(0, grantable(holders, waiting));
    holders.push(...granted);
    await Promise.all(
      granted.map(async (g) => {
        try {
          await getExternalWorkflowHandle(g.holderId, g.holderRunId).signal(lockGrantedSignal, { repositoryId: input.repositoryId, requestId: g.requestId });
        } catch (err) {
          // The holder's run is gone: it will never release, so it must not hold.
          log.warn('lock holder vanished before its grant', { holderId: g.holderId, error: String(err) });
          drop(holders, (r) => r.requestId !== g.requestId);
        }
      }),
    );
  };

  const dropClosed = async (): Promise<void> => {
    const all = [...holders, ...waiting];
    const closed = await activities
      .findClosedWorkflows({ workflows: all.map((r) => ({ workflowId: r.holderId, runId: r.holderRunId })) })
      .catch((err: unknown) => {
        log.warn('could not check lock holders; will retry', { error: String(err) });
        return [];
      });
    const gone = new Set(closed.map((w) => `${w.workflowId}\n${w.runId}`));
    const alive = (r: LockRequest) => !gone.has(`${r.holderId}\n${r.holderRunId}`);
    for (const r of all) if (!alive(r)) log.warn('dropping lock request of a closed workflow', { holderId: r.holderId, mode: r.mode });
    drop(holders, alive);
    drop(waiting, alive);
  };

  for (;;) {
    changed = false;
    await grant();
    if (changed) continue;
    const info = workflowInfo();
    if (info.historyLength >= maxEvents || info.continueAsNewSuggested) {
      await continueAsNew<typeof repositoryLockWorkflow>({ ...input, state: { holders: [...holders], waiting: [...waiting] } });
    }
    const idle = holders.length === 0 && waiting.length === 0;
    if (await condition(() => changed, idle ? idleExit : checkEvery)) continue;
    if (idle) return;
    await dropClosed();
  }
}
