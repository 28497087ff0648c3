// Which of a disk's dirty bitmaps a backup can trust, decided from what QEMU reports (pure).
// Backstop keeps one recording bitmap per job and disk, named for the run whose snapshot it
// counts from. The rule that keeps incrementals right: the extents a backup reads must be a
// superset of what changed since its parent snapshot. Leftovers of runs that never finished
// are therefore merged into the base rather than dropped, and a base that QEMU itself calls
// inconsistent (the image was not closed cleanly) or that is missing means a full read,
// said out loud — never a silent partial one.

import type { BitmapMode } from '../../../contract/guest';

export type { BitmapMode } from '../../../contract/guest';

/** A dirty bitmap as `query-named-block-nodes` reports it. */
export interface BitmapInfo {
  name: string;
  recording: boolean;
  inconsistent?: boolean;
  busy?: boolean;
  persistent?: boolean;
}

const PREFIX = 'backstop-';

/** The bitmap a run leaves recording on a disk for job `jobId`: `backstop-<job>-<run>`. */
export function bitmapName(jobId: number, runId: string): string {
  return `${PREFIX}${jobId}-${runId}`;
}

/** Whether `name` is one of job `jobId`'s bitmaps (`backstop-12-…` is not job 1's). */
export function isJobBitmap(name: string, jobId: number): boolean {
  return name.startsWith(`${PREFIX}${jobId}-`);
}

export interface BitmapDecision {
  mode: BitmapMode;
  /** Why, in words, when the mode is not the obvious one (for the run's log and evidence). */
  reason: string | null;
  /** The bitmap counting from the parent snapshot; read with its extents when mode is reuse. */
  base: string | null;
  /** Bitmaps of unfinished runs to merge into the base (then remove) before anything else. */
  mergeIntoBase: string[];
  /** Bitmaps of this job to remove before the backup (stale, inconsistent, or of no use). */
  remove: string[];
  /** The bitmap of this run, added when the view is frozen. */
  next: string;
}

/**
 * `parentRunId`: the run whose snapshot is the parent of this backup (null: none, a first
 * backup). `bitmaps`: those of the disk's node. A bitmap this run made already (a retried
 * attempt) is left to the caller, which resumes or rolls back its own view first.
 */
export function decideBitmaps(jobId: number, runId: string, parentRunId: string | null, bitmaps: readonly BitmapInfo[]): BitmapDecision {
  const next = bitmapName(jobId, runId);
  const ours = bitmaps.filter((b) => isJobBitmap(b.name, jobId) && b.name !== next);
  const baseName = parentRunId ? bitmapName(jobId, parentRunId) : null;
  const base = ours.find((b) => b.name === baseName) ?? null;
  const others = ours.filter((b) => b !== base).map((b) => b.name);
  if (!parentRunId) {
    return { mode: 'new', reason: null, base: null, mergeIntoBase: [], remove: others, next };
  }
  if (!base) {
    return { mode: 'none', reason: `the disk has no dirty bitmap counting from the last snapshot (${baseName}): reading the whole disk`, base: null, mergeIntoBase: [], remove: others, next };
  }
  if (base.inconsistent) {
    return { mode: 'none', reason: `QEMU marks the dirty bitmap ${base.name} inconsistent (the image was not closed cleanly): reading the whole disk`, base: null, mergeIntoBase: [], remove: [base.name, ...others], next };
  }
  const inconsistentOther = ours.find((b) => b !== base && b.inconsistent);
  if (inconsistentOther) {
    return { mode: 'none', reason: `QEMU marks the dirty bitmap ${inconsistentOther.name} of an unfinished run inconsistent: reading the whole disk`, base: null, mergeIntoBase: [], remove: ours.map((b) => b.name), next };
  }
  return { mode: 'reuse', reason: null, base: base.name, mergeIntoBase: others, remove: [], next };
}
