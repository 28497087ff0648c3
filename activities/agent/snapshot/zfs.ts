// ZFS: a snapshot of the dataset holding a path, read through the dataset's own
// read-only `.zfs/snapshot/<name>` directory.
import { zfs, type MountInfo } from '../../shared/snapshot-commands';
import { runTool, type VolumeSnapshotter } from './volume';
import type { FrozenVolume, Volume } from '../../../contract/snapshot';

export class ZfsSnapshotter implements VolumeSnapshotter {
  readonly kind = 'zfs' as const;

  async locate(_path: string, mount: MountInfo): Promise<Volume | null> {
    if (mount.fstype !== 'zfs') return null;
    return { kind: this.kind, id: mount.source, root: mount.target, fstype: mount.fstype };
  }

  describe(volume: Volume, name: string): FrozenVolume {
    return { ...volume, name, readRoot: zfs.readRoot(volume.root, name) };
  }

  async freeze(volume: Volume, name: string): Promise<FrozenVolume> {
    const exists = await runTool('zfs', zfs.exists(volume.id, name), 'zfs list').then(
      () => true,
      () => false,
    );
    if (!exists) await runTool('zfs', zfs.snapshot(volume.id, name), `ZFS snapshot of ${volume.id}`);
    return this.describe(volume, name);
  }

  async release(frozen: FrozenVolume): Promise<void> {
    const exists = await runTool('zfs', zfs.exists(frozen.id, frozen.name), 'zfs list').then(
      () => true,
      () => false,
    );
    if (exists) await runTool('zfs', zfs.destroy(frozen.id, frozen.name), `destroying ${frozen.id}@${frozen.name}`);
  }
}
