// LXC's container configuration (`/var/lib/lxc/<name>/config`, lxc.container.conf(5)), read
// for what a backup needs: where the root filesystem is and which other files the
// configuration pulls in. Pure: text in, facts out; the agent does the reading (plan.ts).
//
// Lines are `key = value`; `#` starts a comment line; later keys of one name win (LXC's own
// rule for single-valued keys). LXC 2.x spelled the root filesystem `lxc.rootfs`, 3.0 and
// later `lxc.rootfs.path`.

export class LxcConfigError extends Error {
  override name = 'LxcConfigError';
}

export interface LxcConfigFacts {
  /** lxc.rootfs.path (or lxc.rootfs) as written, storage prefix and all; null if none. */
  rootfs: string | null;
  /** lxc.include values, in order: files, or directories whose `*.conf` files are read. */
  includes: string[];
  /** lxc.mount.fstab, a file of mount entries, if any. */
  fstab: string | null;
}

export function parseLxcConfig(text: string): LxcConfigFacts {
  const facts: LxcConfigFacts = { rootfs: null, includes: [], fstab: null };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'lxc.rootfs.path' || key === 'lxc.rootfs') facts.rootfs = value === '' ? null : value;
    else if (key === 'lxc.include' && value !== '') facts.includes.push(value);
    else if (key === 'lxc.mount.fstab') facts.fstab = value === '' ? null : value;
  }
  return facts;
}

/**
 * The directory a root filesystem value names. A plain path and the `dir:` and `btrfs:`
 * storage types are directories the agent reads (a snapshot mode then freezes them as any
 * path); the block- and image-backed ones (lvm, zfs, loop, rbd, nbd, overlay) are mounted
 * only while the container runs and are refused with the reason.
 */
export function rootfsDirectory(value: string): string {
  const m = /^([a-z]+):(.*)$/.exec(value);
  if (!m) {
    if (!value.startsWith('/')) throw new LxcConfigError(`lxc.rootfs.path "${value}" is not an absolute path`);
    return value;
  }
  const [, type, rest] = m;
  if ((type === 'dir' || type === 'btrfs') && rest!.startsWith('/')) return rest!;
  throw new LxcConfigError(`lxc.rootfs.path "${value}" is ${type}-backed storage: only directory-backed root filesystems (a path, dir: or btrfs:) are backed up as a container's directory`);
}

/** The container's state as `lxc-info -s -n <name>` prints it (`State:   RUNNING`). */
export function parseLxcState(stdout: string): string | null {
  const m = /^State:\s*(\S+)/m.exec(stdout);
  return m ? m[1]! : null;
}

/** RUNNING and FROZEN containers have processes writing (or about to) into their root filesystem. */
export const isLxcRunning = (state: string | null): boolean => state === 'RUNNING' || state === 'FROZEN';

/** The commands, as data. `-P` only when the agent is told another LXC path than the default. */
export const lxcInfoArgs = (name: string, lxcPath?: string): string[] => [...pathArgs(lxcPath), '-n', name, '-s'];
export const lxcFreezeArgs = (name: string, lxcPath?: string): string[] => [...pathArgs(lxcPath), '-n', name];
const pathArgs = (lxcPath?: string) => (lxcPath ? ['-P', lxcPath] : []);
