// A test's scratch directory, removed when the test file is done with it. Never through a
// mount: a FUSE or loop mount still standing under it (a leak, which the tests that make
// mounts check for themselves) would have rm delete inside the mounted filesystem, or fail on
// it; such a directory is left in place, and said so.
import { readFileSync, rmSync } from 'node:fs';
import { mountPoints } from '../../activities/server/snapshot-mount/mount-table';

/** Removes `dir` and everything in it, unless something is mounted at or under it. */
export function removeWorkDir(dir: string | undefined): void {
  if (!dir) return;
  const mounted = mountPoints(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m === dir || m.startsWith(`${dir}/`));
  if (mounted.length > 0) {
    process.stderr.write(`left ${dir} in place: still mounted there: ${mounted.join(', ')}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}
