// What a repository's snapshot list says about the runs (pure): a run whose files snapshot
// is there twice (two attempts that both wrote one: the duplicate the adoption logic of
// activities/shared/engines/backup-step.ts exists to prevent), snapshots no run claims, and
// snapshots the catalog or a succeeded run names but the repository does not hold.
import { isFilesSnapshot, runTag } from '../../../contract/names';

/** `restic snapshots --json`, the fields read here. */
export interface RepoSnapshot {
  id: string;
  tags?: string[] | null;
  paths: string[];
}

const RUN_TAG_PREFIX = runTag('');

export interface DuplicateRun {
  tag: string;
  ids: string[];
}

/** Run tags carried by more than one files snapshot. */
export function duplicateRuns(snapshots: readonly RepoSnapshot[]): DuplicateRun[] {
  const byTag = new Map<string, string[]>();
  for (const s of snapshots) {
    const tags = s.tags ?? [];
    if (!isFilesSnapshot(tags)) continue;
    for (const tag of tags.filter((t) => t.startsWith(RUN_TAG_PREFIX))) byTag.set(tag, [...(byTag.get(tag) ?? []), s.id]);
  }
  return [...byTag].filter(([, ids]) => ids.length > 1).map(([tag, ids]) => ({ tag, ids }));
}

/** Snapshots without a run tag: every snapshot Backstop writes has one. */
export function untagged(snapshots: readonly RepoSnapshot[]): string[] {
  return snapshots.filter((s) => !(s.tags ?? []).some((t) => t.startsWith(RUN_TAG_PREFIX))).map((s) => s.id);
}

/** The ids of `wanted` (full or short) that no snapshot of the repository matches. */
export function absentFrom(snapshots: readonly RepoSnapshot[], wanted: readonly string[]): string[] {
  return wanted.filter((w) => !snapshots.some((s) => s.id === w || s.id.startsWith(w)));
}
