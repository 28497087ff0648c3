// Real filesystems on loop devices for snapshot tests: a sparse image file, a loop device,
// mkfs and a mount, all undone by `remove`. Needs root (the CI machine runs as root).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export interface LoopFs {
  mountPoint: string;
  device: string;
  remove(): void;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' }).toString();

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Why btrfs on a loop device cannot be tested here, or null when it can. */
export function btrfsUnavailable(): string | null {
  if (userInfo().uid !== 0) return 'not root: loop devices and mounts need root';
  if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control: the kernel has no loop devices';
  for (const cmd of ['mkfs.btrfs', 'btrfs', 'losetup', 'unshare', 'findmnt']) if (!has(cmd)) return `${cmd} is not installed (scripts/setup.sh installs btrfs-progs)`;
  return null;
}

/** A fresh btrfs filesystem of `sizeMiB` mounted under `dir`, with one subvolume per name. */
export function makeBtrfs(dir: string, sizeMiB: number, subvolumes: string[]): LoopFs {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, 'btrfs.img');
  writeFileSync(image, '');
  truncateSync(image, sizeMiB * 1024 * 1024);
  const device = run('losetup', ['--find', '--show', image]).trim();
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint);
  try {
    run('mkfs.btrfs', ['-q', device]);
    run('mount', [device, mountPoint]);
    for (const s of subvolumes) run('btrfs', ['subvolume', 'create', join(mountPoint, s)]);
  } catch (err) {
    run('losetup', ['--detach', device]);
    throw err;
  }
  return {
    mountPoint,
    device,
    remove() {
      try {
        run('umount', ['--lazy', mountPoint]);
      } finally {
        run('losetup', ['--detach', device]);
        rmSync(image, { force: true });
      }
    },
  };
}

/** Paths (from the filesystem's top) of every subvolume of the btrfs mounted at `mountPoint`. */
export function subvolumes(mountPoint: string): string[] {
  return run('btrfs', ['subvolume', 'list', mountPoint])
    .split('\n')
    .map((l) => /path (.*)$/.exec(l.trim())?.[1])
    .filter((p): p is string => p !== undefined);
}

/** Why LVM on a loop device cannot be tested here, or null when it can. */
export function lvmUnavailable(): string | null {
  if (userInfo().uid !== 0) return 'not root: loop devices and LVM need root';
  if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control: the kernel has no loop devices';
  for (const cmd of ['pvcreate', 'vgcreate', 'lvcreate', 'mkfs.ext4', 'unshare', 'findmnt']) if (!has(cmd)) return `${cmd} is not installed (scripts/setup.sh installs lvm2)`;
  try {
    execFileSync('dmsetup', ['version'], { stdio: 'pipe' });
  } catch {
    return 'the kernel has no device-mapper (/dev/mapper/control), which LVM snapshots need';
  }
  return null;
}

/**
 * A volume group on a loop device with one ext4 logical volume, mounted under `dir`: a
 * classic volume, or a thin one in a thin pool.
 */
export function makeLvm(dir: string, sizeMiB: number, opts: { vg: string; thin: boolean }): LoopFs {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, 'lvm.img');
  writeFileSync(image, '');
  truncateSync(image, sizeMiB * 1024 * 1024);
  const device = run('losetup', ['--find', '--show', image]).trim();
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint);
  const lv = `/dev/${opts.vg}/data`;
  const undo = () => {
    for (const [cmd, args] of [
      ['vgremove', ['--force', '--yes', opts.vg]],
      ['pvremove', ['--force', '--yes', device]],
      ['losetup', ['--detach', device]],
    ] as const) {
      try {
        run(cmd, [...args]);
      } catch {
        /* undo as much as possible */
      }
    }
    rmSync(image, { force: true });
  };
  try {
    run('pvcreate', ['--yes', device]);
    run('vgcreate', [opts.vg, device]);
    const quarter = Math.floor(sizeMiB / 4);
    if (opts.thin) {
      run('lvcreate', ['--yes', '--type', 'thin-pool', '--size', `${quarter * 2}m`, '--name', 'pool', opts.vg]);
      run('lvcreate', ['--yes', '--type', 'thin', '--virtualsize', `${quarter}m`, '--thinpool', 'pool', '--name', 'data', opts.vg]);
    } else {
      run('lvcreate', ['--yes', '--size', `${quarter}m`, '--name', 'data', opts.vg]);
    }
    run('mkfs.ext4', ['-q', lv]);
    run('mount', [lv, mountPoint]);
  } catch (err) {
    undo();
    throw err;
  }
  return {
    mountPoint,
    device,
    remove() {
      try {
        run('umount', ['--lazy', mountPoint]);
      } finally {
        undo();
      }
    },
  };
}

/** Logical volumes of a volume group whose names start with `prefix`. */
export function logicalVolumes(vg: string, prefix: string): string[] {
  return run('lvs', ['--noheadings', '--options', 'lv_name', vg])
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(prefix));
}
