// The kernel's mount table as data: is a path a mount point, and how to take one down
// lazily (a FUSE mount whose process was killed answers ENOTCONN until unmounted).
import { readFile } from 'node:fs/promises';

/** /proc/self/mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mount points listed in a /proc/<pid>/mountinfo text (field 5), unescaped, in order. */
export function mountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => unescapeMountPath(l.split(' ')[4] ?? ''));
}

/** How many mounts sit on `path` (stacked mounts count once each). */
export function mountsAt(mountinfo: string, path: string): number {
  const want = path.replace(/\/+$/, '') || '/';
  return mountPoints(mountinfo).filter((p) => p === want).length;
}

export async function readMountinfo(): Promise<string> {
  return readFile('/proc/self/mountinfo', 'utf8');
}

/**
 * Commands that detach a mount at once even while it is busy or its FUSE process is gone,
 * tried in order until one succeeds: fuse3's unprivileged tool, then the kernel's lazy umount.
 */
export function lazyUnmountCommands(path: string): Array<{ command: string; args: string[] }> {
  return [
    { command: 'fusermount3', args: ['-u', '-z', '--', path] },
    { command: 'umount', args: ['-l', '--', path] },
  ];
}
