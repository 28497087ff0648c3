// `restic mount` as data. One path template, `ids/%I` (the full snapshot id), so a snapshot's
// tree is at a path known before the mount exists: `<mount point>/ids/<snapshot id>`.
// Without --allow-other only the user running restic (the server worker's) may read it.

/** The path template's value; also how a leftover `restic mount` of Backstop is recognised (orphans.ts). */
export const MOUNT_PATH_TEMPLATE = 'ids/%I';

export function mountArgs(mountPoint: string): string[] {
  // --no-default-permissions stays off: the kernel checks the snapshot's own modes.
  return ['mount', '--path-template', MOUNT_PATH_TEMPLATE, '--', mountPoint];
}

/** Where restic shows snapshot `snapshotId` under `mountPoint` with MOUNT_PATH_TEMPLATE. */
export function snapshotPathInMount(mountPoint: string, snapshotId: string): string {
  if (!/^[0-9a-f]{64}$/.test(snapshotId)) throw new RangeError(`not a full snapshot id: ${snapshotId}`);
  return `${mountPoint.replace(/\/+$/, '')}/ids/${snapshotId}`;
}
