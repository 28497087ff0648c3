// Where a backup may read, decided on the agent itself: every source path must lie inside
// one of the agent's allowed roots (BACKSTOP_BACKUP_ROOTS) after its symlinks are resolved,
// whatever the server asks. A refusal is an InputError (non-retryable) before any snapshot
// or engine starts.
import { InputError } from '../../contract/errors';
import { isInside, normalizeAbsolute, resolveThroughExisting } from '../shared/restore-target';

/** Pure: the paths (already normalized and resolved) that no root contains. */
export function pathsOutsideRoots(paths: string[], roots: string[]): string[] {
  return paths.filter((p) => !roots.some((root) => isInside(p, root)));
}

export async function checkBackupPaths(paths: string[], roots: string[]): Promise<void> {
  if (roots.length === 0) throw new InputError('this agent allows no backup roots (BACKSTOP_BACKUP_ROOTS)');
  if (roots.includes('/')) return;
  const realRoots = await Promise.all(roots.map((r) => resolveThroughExisting(r)));
  for (const path of paths) {
    const requested = normalizeAbsolute(path, 'backup source');
    const real = await resolveThroughExisting(requested);
    // Both the path as asked and where it leads must be inside: a symlink under a root
    // pointing at /etc is refused as much as /etc itself.
    if (pathsOutsideRoots([requested], roots).length > 0 || pathsOutsideRoots([real], realRoots).length > 0) {
      const via = real === requested ? '' : ` (resolves to ${real})`;
      throw new InputError(`backup source ${requested}${via} is outside this agent's allowed backup roots (BACKSTOP_BACKUP_ROOTS): ${roots.join(', ')}`);
    }
  }
}
