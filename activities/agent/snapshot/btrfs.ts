// btrfs: a read-only snapshot of the subvolume holding a path, kept inside that subvolume
// under .backstop-snapshots/ (a snapshot must live on the same filesystem; nested
// subvolumes are not part of their parent's snapshots, so they never back up each other).
import { lstat, mkdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BTRFS_SNAPSHOT_DIR, btrfs, type MountInfo } from '../../shared/snapshot-commands';
import { runTool, type VolumeSnapshotter } from './volume';
import type { FrozenVolume, Volume } from '../../../contract/snapshot';

/** Every btrfs subvolume's root directory has inode 256. */
const SUBVOLUME_ROOT_INODE = 256;

export class BtrfsSnapshotter implements VolumeSnapshotter {
  readonly kind = 'btrfs' as const;

  constructor(private readonly binary = 'btrfs') {}

  async locate(path: string, mount: MountInfo): Promise<Volume | null> {
    if (mount.fstype !== 'btrfs') return null;
    // Walk up to the subvolume root: same device (each subvolume has its own), inode 256.
    const start = await lstat(path);
    let dir = start.isDirectory() ? path : dirname(path);
    for (;;) {
      const s = await lstat(dir);
      if (s.dev === start.dev && s.ino === SUBVOLUME_ROOT_INODE) return { kind: this.kind, id: dir, root: dir, fstype: mount.fstype };
      if (dir === '/' || dir === mount.target) return null;
      dir = dirname(dir);
    }
  }

  describe(volume: Volume, name: string): FrozenVolume {
    return { ...volume, name, readRoot: join(volume.root, BTRFS_SNAPSHOT_DIR, name) };
  }

  async freeze(volume: Volume, name: string): Promise<FrozenVolume> {
    const frozen = this.describe(volume, name);
    await mkdir(dirname(frozen.readRoot), { recursive: true, mode: 0o700 });
    const existing = await lstat(frozen.readRoot).catch(() => null);
    if (existing?.ino !== SUBVOLUME_ROOT_INODE) {
      await runTool(this.binary, btrfs.snapshot(volume.root, frozen.readRoot), `btrfs snapshot of ${volume.root}`);
    }
    return frozen;
  }

  async release(frozen: FrozenVolume): Promise<void> {
    const exists = await lstat(frozen.readRoot).then(() => true, () => false);
    if (exists) await runTool(this.binary, btrfs.delete(frozen.readRoot), `deleting btrfs snapshot ${frozen.readRoot}`);
    // Leave no trace once the last snapshot of the subvolume is gone.
    await rmdir(dirname(frozen.readRoot)).catch(() => undefined);
  }
}
