// LVM: a snapshot of the logical volume holding a path (classic, sized as a share of the
// origin; or thin, from the pool), mounted read-only under the agent's runtime directory.
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lvm, lvsArgs, mountSnapshotArgs, parseLvs, type MountInfo } from '../../shared/snapshot-commands';
import { runTool, type VolumeSnapshotter } from './volume';
import { isMountPoint } from './mounts';
import type { FrozenVolume, Volume } from '../../../contract/snapshot';

export interface LvmOptions {
  /** Where snapshots are mounted: <mountRoot>/<snapshot name>. */
  mountRoot: string;
  /** Size of a classic snapshot, in percent of its origin. */
  sizePercent?: number;
}

export class LvmSnapshotter implements VolumeSnapshotter {
  readonly kind = 'lvm' as const;

  constructor(private readonly opts: LvmOptions) {}

  async locate(_path: string, mount: MountInfo): Promise<Volume | null> {
    if (!mount.source.startsWith('/dev/')) return null;
    const out = await runTool('lvs', lvsArgs(mount.source), `lvs ${mount.source}`).catch(() => null);
    const v = out ? parseLvs(out) : null;
    if (!v) return null;
    return { kind: this.kind, id: `${v.vg}/${v.lv}${v.thin ? ':thin' : ''}`, root: mount.target, fstype: mount.fstype };
  }

  describe(volume: Volume, name: string): FrozenVolume {
    return { ...volume, name, readRoot: join(this.opts.mountRoot, name) };
  }

  async freeze(volume: Volume, name: string): Promise<FrozenVolume> {
    const [vgLv, thin] = volume.id.split(':');
    const [vg, lv] = vgLv!.split('/') as [string, string];
    const exists = await runTool('lvs', lvsArgs(lvm.device(vg, name)), 'lvs').then(parseLvs, () => null);
    if (!exists) await runTool('lvcreate', lvm.create({ vg, lv, thin: thin === 'thin' }, name, this.opts.sizePercent ?? 20), `LVM snapshot of ${vg}/${lv}`);
    if (thin === 'thin') await runTool('lvchange', lvm.activate(vg, name), `activating ${vg}/${name}`);
    const mountPoint = this.describe(volume, name).readRoot;
    await mkdir(mountPoint, { recursive: true, mode: 0o700 });
    if (!(await isMountPoint(mountPoint))) {
      await runTool('mount', mountSnapshotArgs(lvm.device(vg, name), mountPoint, volume.fstype), `mounting ${vg}/${name}`);
    }
    return { ...volume, name, readRoot: mountPoint };
  }

  async release(frozen: FrozenVolume): Promise<void> {
    const vg = frozen.id.split('/')[0]!;
    if (await isMountPoint(frozen.readRoot)) await runTool('umount', ['--', frozen.readRoot], `unmounting ${frozen.readRoot}`);
    await rmdir(frozen.readRoot).catch(() => undefined);
    const exists = await runTool('lvs', lvsArgs(lvm.device(vg, frozen.name)), 'lvs').then(parseLvs, () => null);
    if (exists) await runTool('lvremove', lvm.remove(vg, frozen.name), `removing ${vg}/${frozen.name}`);
  }
}
