import type { SnapshotBind } from '../../contract/snapshot';
// Command lines of the snapshot tools (btrfs, LVM, ZFS, findmnt, unshare) as data, and the
// parsers of their output. Pure; the snapshotters beside this file run them.

/** Every snapshot Backstop makes is named after its run, so an orphan can be traced back. */
export function snapshotName(runId: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(runId)) throw new Error(`run id unfit for a snapshot name: ${runId}`);
  return `backstop-${runId}`;
}

/** Where btrfs snapshots of a subvolume live: inside it, as nested (hence excluded) subvolumes. */
export const BTRFS_SNAPSHOT_DIR = '.backstop-snapshots';

export interface MountInfo {
  /** Mount point. */
  target: string;
  fstype: string;
  /** Device, dataset (ZFS) or `device[/subvol]` (btrfs). */
  source: string;
}

export function findmntArgs(path: string): string[] {
  return ['--json', '--noheadings', '--output', 'TARGET,FSTYPE,SOURCE', '--target', path];
}

/** `findmnt --json --target` names the one mount a path lives on. */
export function parseFindmnt(json: string): MountInfo | null {
  const doc = JSON.parse(json) as { filesystems?: Array<{ target?: string; fstype?: string; source?: string }> };
  const fs = doc.filesystems?.[0];
  if (!fs?.target || !fs.fstype || !fs.source) return null;
  // btrfs shows the subvolume after the device: /dev/loop0[/data].
  return { target: fs.target, fstype: fs.fstype, source: fs.source.replace(/\[.*\]$/, '') };
}

export const btrfs = {
  snapshot: (subvolume: string, dest: string) => ['subvolume', 'snapshot', '-r', '--', subvolume, dest],
  delete: (path: string) => ['subvolume', 'delete', '--', path],
  show: (path: string) => ['subvolume', 'show', '--', path],
};

export interface LogicalVolume {
  vg: string;
  lv: string;
  /** Thin volumes snapshot without a size and need activating. */
  thin: boolean;
}

export function lvsArgs(device: string): string[] {
  return ['--reportformat', 'json', '--noheadings', '--options', 'vg_name,lv_name,segtype,lv_attr', '--', device];
}

/** `lvs --reportformat json` for one device; null when it is not a logical volume. */
export function parseLvs(json: string): LogicalVolume | null {
  const doc = JSON.parse(json) as { report?: Array<{ lv?: Array<{ vg_name?: string; lv_name?: string; segtype?: string }> }> };
  const lv = doc.report?.[0]?.lv?.[0];
  if (!lv?.vg_name || !lv.lv_name) return null;
  return { vg: lv.vg_name, lv: lv.lv_name, thin: lv.segtype === 'thin' };
}

export const lvm = {
  /**
   * Classic snapshots need room for the blocks that change while the backup reads:
   * `sizePercent` of the origin. Thin snapshots share the pool and take no size, but are
   * created with activation skipped, hence `-K` when activating.
   */
  /** lvcreate arguments. */
  create: (v: LogicalVolume, name: string, sizePercent: number): string[] =>
    v.thin
      ? ['--snapshot', '--setactivationskip', 'n', '--name', name, '--', `${v.vg}/${v.lv}`]
      : ['--snapshot', '--extents', `${sizePercent}%ORIGIN`, '--name', name, '--', `${v.vg}/${v.lv}`],
  /** lvchange arguments. */
  activate: (vg: string, name: string) => ['--activate', 'y', '--ignoreactivationskip', '--', `${vg}/${name}`],
  /** lvremove arguments. */
  remove: (vg: string, name: string) => ['--yes', '--', `${vg}/${name}`],
  device: (vg: string, name: string) => `/dev/${vg}/${name}`,
};

/** Read-only, and XFS refuses a second mount of the same UUID without nouuid. */
export function mountSnapshotArgs(device: string, mountPoint: string, fstype: string): string[] {
  const options = fstype === 'xfs' ? 'ro,nouuid' : fstype === 'ext4' || fstype === 'ext3' ? 'ro,noload' : 'ro';
  return ['-t', fstype, '-o', options, '--', device, mountPoint];
}

export const zfs = {
  snapshot: (dataset: string, name: string) => ['snapshot', '--', `${dataset}@${name}`],
  /** Succeeds only when the snapshot exists. */
  exists: (dataset: string, name: string) => ['list', '-H', '-t', 'snapshot', '-o', 'name', '--', `${dataset}@${name}`],
  destroy: (dataset: string, name: string) => ['destroy', '--', `${dataset}@${name}`],
  /** ZFS exposes every snapshot read-only under the dataset's mount point. */
  readRoot: (mountPoint: string, name: string) => `${mountPoint === '/' ? '' : mountPoint}/.zfs/snapshot/${name}`,
};

/**
 * Runs `command` in a private mount namespace where each original path shows its frozen
 * copy: the engine reads the snapshot but records the paths the operator knows, and
 * nothing else on the machine sees the bind mounts. Paths travel as arguments, never
 * spliced into the script.
 */
export function inMountNamespace(binds: SnapshotBind[], command: string, args: string[]): { command: string; args: string[] } {
  if (binds.length === 0) return { command, args };
  const script = 'while [ "$1" != "--" ]; do mount --bind -- "$1" "$2" || exit 97; shift 2; done; shift; exec "$@"';
  return {
    command: 'unshare',
    args: ['--mount', '--propagation', 'private', 'sh', '-c', script, 'backstop-snapshot', ...binds.flatMap((b) => [b.snapshot, b.original]), '--', command, ...args],
  };
}
