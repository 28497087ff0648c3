// A workflow bundle for lock tests: every Backstop workflow plus a holder that takes the
// repository lock and keeps it until told to finish, reporting where it is by query.
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import { withRepositoryLock } from '../../../workflows/with-repository-lock';
import type { LockMode } from '../../../contract/repository-lock';

export * from '../../../workflows';

export type HolderState = 'requesting' | 'waiting' | 'held' | 'released';
export const holderStateQuery = defineQuery<HolderState>('holderState');
export const finishSignal = defineSignal('finish');

export async function lockHolderWorkflow(input: { repositoryId: number; mode: LockMode }): Promise<HolderState> {
  let state: HolderState = 'requesting';
  let finish = false;
  setHandler(holderStateQuery, () => state);
  setHandler(finishSignal, () => {
    finish = true;
  });
  await withRepositoryLock(
    input.repositoryId,
    input.mode,
    async () => {
      state = 'held';
      await condition(() => finish);
    },
    { onWaiting: () => (state = 'waiting') },
  );
  state = 'released';
  return state;
}
