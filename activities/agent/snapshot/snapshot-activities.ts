// The snapshot providers an agent offers, and the release of what an ended run left behind.
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../../../core/logger';
import { BtrfsSnapshotter } from './btrfs';
import { FilesystemSnapshotProvider } from './filesystem';
import { LvmSnapshotter } from './lvm';
import { findMount } from './mounts';
import { NoSnapshotProvider, type SnapshotProvider } from './provider';
import { SnapshotRegistry } from './registry';
import { ZfsSnapshotter } from './zfs';

export function createSnapshotProviders(stateDir: string, logger: Logger): { providers: SnapshotProvider[]; filesystem: FilesystemSnapshotProvider } {
  const filesystem = new FilesystemSnapshotProvider({
    snapshotters: [new BtrfsSnapshotter(), new LvmSnapshotter({ mountRoot: join(stateDir, 'snapshot-mounts') }), new ZfsSnapshotter()],
    registry: new SnapshotRegistry(join(stateDir, 'snapshots')),
    findMount,
    logger,
  });
  return { providers: [new NoSnapshotProvider(), filesystem], filesystem };
}

/**
 * Whether a run's workflow is still going. When Temporal cannot say, the answer is yes:
 * releasing a snapshot under a running backup would fail it, keeping one a while costs little.
 */
export function runActivity(client: Client, logger: Logger): (workflowId: string) => Promise<boolean> {
  return async (workflowId) => {
    if (!workflowId) return false;
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      logger.warn({ err, workflowId }, 'cannot tell whether a run has ended; keeping its snapshot');
      return true;
    }
  };
}
