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
