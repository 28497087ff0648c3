// restic command lines for restores and snapshot browsing, as data. Like args.ts, the
// repository and password travel in the environment, never in argv.
import type { RestoreOptions } from '../../../../contract/engine';

export function restoreCommandArgs(snapshotId: string, target: string, opts: RestoreOptions = {}): string[] {
  const args = ['restore', '--json', '--target', target];
  // Without --overwrite restic uses its default (always): right for a fresh directory, and
  // it still rewrites only the parts of a file whose content differs.
  if (opts.overwrite) args.push('--overwrite', opts.overwrite);
  for (const pattern of opts.include ?? []) args.push('--include', pattern);
  for (const path of opts.paths ?? []) args.push('--include', literalPattern(path));
  if (opts.verify) args.push('--verify');
  // `--` keeps a snapshot id from ever being read as a flag.
  args.push('--', snapshotId);
  return args;
}

/**
 * A path as a restic include pattern that matches only itself: restic matches each path
 * component with Go's filepath.Match, where `\` escapes the next character, so the pattern
 * characters `* ? [ ] \` in a name are escaped.
 */
export function literalPattern(path: string): string {
  return path.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Every node of a snapshot, recursively (no path given): the drill's listing. */
export function lsTreeArgs(snapshotId: string): string[] {
  return ['ls', '--json', '--no-lock', '--', snapshotId];
}

/**
 * What a restore would do, item by item, without writing anything: `--dry-run -vv` prints a
 * `verbose_status` line per item. No --verify: there is nothing to read back.
 */
export function restorePlanArgs(snapshotId: string, target: string, opts: RestoreOptions = {}): string[] {
  const args = restoreCommandArgs(snapshotId, target, { ...opts, verify: false });
  args.splice(args.indexOf('--'), 0, '--dry-run', '-vv');
  return args;
}

/** Without --recursive, `ls <snap> <dir>` prints the directory's own node and its direct children. */
export function lsArgs(snapshotId: string, path: string): string[] {
  // --no-lock: browsing is read-only and must not wait behind (or block) a backup.
  return ['ls', '--json', '--no-lock', '--', snapshotId, path];
}

/** `dump` of a regular file writes its bytes to stdout; of a directory it writes a tar. */
export function dumpArgs(snapshotId: string, path: string): string[] {
  return ['dump', '--no-lock', '--', snapshotId, path];
}

/** A directory of a snapshot as a tar archive on stdout (under the repository's shared lock, as a restore). */
export function dumpArchiveArgs(snapshotId: string, path: string): string[] {
  return ['dump', '--archive', 'tar', '--', snapshotId, path];
}
