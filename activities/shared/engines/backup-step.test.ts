import { resumeEarlierAttempt } from './backup-step';
import { ITEM_TAG_PREFIX, runTag } from '../../../contract/names';
import type { BackupEngine, EngineSnapshot, RepositoryAccess } from '../../../contract/engine';
import type { EngineProcessRegistry } from './orphans';
import type { Logger } from '../../../core/logger';

const workflowId = 'backup/2/2026-12-03T11:13:41Z';
const repo = { url: '/repo', password: 'pw' } as RepositoryAccess;
const quiet = { info: () => undefined, warn: () => undefined } as unknown as Logger;
const snapshot = { id: 'abc', tags: [runTag(workflowId), 'backstop-job=2'] } as unknown as EngineSnapshot;

function fakes(opts: { stopped: number | null; snapshots: EngineSnapshot[] }) {
  const calls: string[] = [];
  const engine = {
    unlockStale: async () => void calls.push('unlockStale'),
    findSnapshotsByTag: async () => {
      calls.push('findSnapshotsByTag');
      return opts.snapshots;
    },
  } as unknown as BackupEngine;
  const processes = { stopLeftover: async () => opts.stopped } as unknown as EngineProcessRegistry;
  return { engine, processes, calls };
}

describe('resumeEarlierAttempt', () => {
  it('on attempt 1 with nothing left over, touches nothing', async () => {
    const f = fakes({ stopped: null, snapshots: [] });
    expect(await resumeEarlierAttempt(f.engine, f.processes, repo, { workflowId, attempt: 1 }, quiet)).toBeNull();
    expect(f.calls).toEqual([]);
  });

  // Found by the crash soak: an attempt's restic saved the snapshot and died before dropping
  // its lock; the retry adopted the snapshot and the lock stayed for good.
  it('removes stale locks before adopting the snapshot an earlier attempt saved', async () => {
    const f = fakes({ stopped: null, snapshots: [snapshot] });
    expect(await resumeEarlierAttempt(f.engine, f.processes, repo, { workflowId, attempt: 2 }, quiet)).toBe(snapshot);
    expect(f.calls).toEqual(['unlockStale', 'findSnapshotsByTag']);
  });

  it('removes stale locks when there is nothing to adopt, and says so with null', async () => {
    const f = fakes({ stopped: 4242, snapshots: [] });
    expect(await resumeEarlierAttempt(f.engine, f.processes, repo, { workflowId, attempt: 1 }, quiet)).toBeNull();
    expect(f.calls).toEqual(['unlockStale', 'findSnapshotsByTag']);
  });

  it('adopts only the files snapshot, not a plugin stream carrying the same run tag', async () => {
    const stream = { id: 'def', tags: [runTag(workflowId), `${ITEM_TAG_PREFIX}db`] } as unknown as EngineSnapshot;
    const f = fakes({ stopped: null, snapshots: [stream] });
    expect(await resumeEarlierAttempt(f.engine, f.processes, repo, { workflowId, attempt: 3 }, quiet)).toBeNull();
  });
});
