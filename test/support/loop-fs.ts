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

/**
 * A sparse image on a loop device, prepared by `make` (which returns the block device to
 * mount), mounted at `<dir>/mnt`. On failure, and in `remove`, everything is undone in reverse
 * (`unmake` first undoes what `make` built on the device).
 */
function onLoopDevice(dir: string, sizeMiB: number, make: (device: string) => string, unmake: (device: string) => void = () => {}): LoopFs {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, 'fs.img');
  writeFileSync(image, '');
  truncateSync(image, sizeMiB * 1024 * 1024);
  const device = run('losetup', ['--find', '--show', image]).trim();
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint);
  const undo = () => {
    try {
      unmake(device);
    } finally {
      run('losetup', ['--detach', device]);
      rmSync(image, { force: true });
    }
  };
  try {
    run('mount', [make(device), mountPoint]);
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

/** A fresh btrfs filesystem of `sizeMiB` mounted under `dir`, with one subvolume per name. */
export function makeBtrfs(dir: string, sizeMiB: number, subvolumes: string[]): LoopFs {
  const fs = onLoopDevice(dir, sizeMiB, (device) => {
    run('mkfs.btrfs', ['-q', device]);
    return device;
  });
  try {
    for (const s of subvolumes) run('btrfs', ['subvolume', 'create', join(fs.mountPoint, s)]);
  } catch (err) {
    fs.remove();
    throw err;
  }
  return fs;
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
  const quarter = Math.floor(sizeMiB / 4);
  return onLoopDevice(
    dir,
    sizeMiB,
    (device) => {
      run('pvcreate', ['--yes', device]);
      run('vgcreate', [opts.vg, device]);
      if (opts.thin) {
        run('lvcreate', ['--yes', '--type', 'thin-pool', '--size', `${quarter * 2}m`, '--name', 'pool', opts.vg]);
        run('lvcreate', ['--yes', '--type', 'thin', '--virtualsize', `${quarter}m`, '--thinpool', 'pool', '--name', 'data', opts.vg]);
      } else {
        run('lvcreate', ['--yes', '--size', `${quarter}m`, '--name', 'data', opts.vg]);
      }
      const lv = `/dev/${opts.vg}/data`;
      run('mkfs.ext4', ['-q', lv]);
      return lv;
    },
    (device) => {
      // As much as exists of it: the volume group, then the physical volume.
      for (const [cmd, args] of [
        ['vgremove', ['--force', '--yes', opts.vg]],
        ['pvremove', ['--force', '--yes', device]],
      ] as const) {
        try {
          run(cmd, [...args]);
        } catch {
          /* not made yet */
        }
      }
    },
  );
}

/** Logical volumes of a volume group whose names start with `prefix`. */
export function logicalVolumes(vg: string, prefix: string): string[] {
  return run('lvs', ['--noheadings', '--options', 'lv_name', vg])
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(prefix));
}
