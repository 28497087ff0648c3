// restic's overwrite policies on borg, which has none: `borg extract` replaces whatever is
// there. Before extracting, each item the archive would write is compared with what the target
// already holds, and the ones the policy keeps are excluded from the extract (a patterns file
// of `- pp:<path>` lines) and from its verification. Pure; the engine does the lstat.
import type { RestoreOverwrite, SnapshotEntry } from '../../../../contract/engine';
import { borgPath } from './restore-args';

/** What the target holds at an item's path (lstat, not following links). */
export interface ExistingNode {
  type: 'file' | 'dir' | 'other';
  size: number;
  mtimeMs: number;
}

/**
 * The snapshot paths the policy leaves as they are. Directories are never skipped (their
 * contents are decided one by one, as restic does).
 * - never: anything that exists stays;
 * - if-newer: what exists and is at least as new as the snapshot's item stays;
 * - if-changed: a regular file of the same size and modification second stays (restic's
 *   metadata test; a file whose content changed under an unchanged size and mtime is not seen);
 * - always: nothing stays.
 */
export function keptByPolicy(entries: readonly SnapshotEntry[], existing: (path: string) => ExistingNode | null, policy: RestoreOverwrite): string[] {
  if (policy === 'always') return [];
  const kept: string[] = [];
  for (const e of entries) {
    if (e.type === 'dir') continue;
    const there = existing(e.path);
    if (!there) continue;
    const snapshotMs = e.mtime ? Date.parse(e.mtime) : Number.NaN;
    const keep =
      policy === 'never' ||
      (policy === 'if-newer' && Number.isFinite(snapshotMs) && there.mtimeMs >= snapshotMs) ||
      (policy === 'if-changed' && e.type === 'file' && there.type === 'file' && there.size === e.size && Number.isFinite(snapshotMs) && Math.floor(there.mtimeMs / 1000) === Math.floor(snapshotMs / 1000));
    if (keep) kept.push(e.path);
  }
  return kept;
}

/** borg's patterns file excluding `kept` from an extract (path-prefix style: never read as globs). */
export function excludePatternsFile(kept: readonly string[]): string {
  return kept.map((p) => `- pp:${borgPath(p)}\n`).join('');
}

/** GNU tar's --exclude-from lines for the same paths (used with --anchored --no-wildcards: literal member names). */
export function tarExcludeFile(kept: readonly string[]): string {
  return kept.map((p) => `${borgPath(p)}\n`).join('');
}
