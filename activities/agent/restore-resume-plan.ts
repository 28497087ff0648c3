// Crash resume of in-place restores that keep existing files (overwrite `never`, `if-newer`).
//
// restic decides file by file from what it finds in the target. After a killed attempt, a
// file it had half-written looks like any existing file: `never` keeps it, and `if-newer`
// sees a fresh mtime and keeps it too — a silently corrupt restore. So before its first write
// a run records restic's own plan (a dry run: the items it is about to write) and when the
// plan was made. A later attempt of the same run deletes each planned regular file that was
// touched since (or does not have its planned size yet) — files restic was going to replace
// anyway, never anything else — and runs the same restore again, which writes them whole.
//
// restic sets a file's mtime to the snapshot's only after writing all its content, so a
// complete file carries its old mtime and an incomplete one carries the time of the crash.
import { lstat, mkdir, readFile, readdir, realpath, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { PlannedWrite, RestoreOverwrite } from '../../contract/engine';
import { isInside } from '../shared/restore-target';

export interface RestorePlan {
  /** When the plan was made: before the first byte was written. */
  plannedAtMs: number;
  /** The (real) target directory the plan was made for. */
  target: string;
  writes: PlannedWrite[];
}

/** Policies whose decisions a half-written file from a killed attempt would mislead. */
export function needsResumePlan(overwrite: RestoreOverwrite | null): boolean {
  return overwrite === 'never' || overwrite === 'if-newer';
}

/** Filesystems with coarse timestamps (FAT: 2 s) round an mtime down by up to this much. */
const MTIME_SLACK_MS = 2_000;

/**
 * Whether a planned file found at the target must be written again: touched after the plan
 * was made (the killed attempt was writing it) or not yet at its planned size.
 */
export function mustRewrite(found: { isFile: boolean; mtimeMs: number; size: number } | null, planned: PlannedWrite, plannedAtMs: number): boolean {
  if (!found || !found.isFile) return false;
  return found.mtimeMs >= plannedAtMs - MTIME_SLACK_MS || found.size !== planned.size;
}

/**
 * Deletes the planned files that `mustRewrite` picks, so the next restore writes them whole.
 * Never follows a symlink: a planned path whose parent does not resolve to itself (a link
 * swapped in since) is left alone. Returns how many files it removed.
 */
export async function discardTouchedWrites(plan: RestorePlan, onEach?: () => void): Promise<number> {
  const realDirs = new Map<string, boolean>();
  let removed = 0;
  for (const w of plan.writes) {
    onEach?.();
    const path = join(plan.target, w.path);
    if (!isInside(path, plan.target) || path === plan.target) continue;
    const dir = dirname(path);
    let dirIsReal = realDirs.get(dir);
    if (dirIsReal === undefined) {
      dirIsReal = (await realpath(dir).catch(() => null)) === dir;
      realDirs.set(dir, dirIsReal);
    }
    if (!dirIsReal) continue;
    const found = await lstat(path).then(
      (s) => ({ isFile: s.isFile(), mtimeMs: s.mtimeMs, size: s.size }),
      () => null,
    );
    if (mustRewrite(found, w, plan.plannedAtMs)) {
      await unlink(path);
      removed++;
    }
  }
  return removed;
}

const PLAN_MAX_AGE_MS = 30 * 24 * 3_600_000;

/** One plan file per run under the agent's state directory, written atomically. */
export class RestorePlanStore {
  constructor(private readonly dir: string) {}

  private file(runKey: string): string {
    return join(this.dir, `${createHash('sha256').update(runKey).digest('hex').slice(0, 32)}.json`);
  }

  async load(runKey: string): Promise<RestorePlan | null> {
    const text = await readFile(this.file(runKey), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (text === null) return null;
    const plan = JSON.parse(text) as RestorePlan;
    return typeof plan.plannedAtMs === 'number' && typeof plan.target === 'string' && Array.isArray(plan.writes) ? plan : null;
  }

  async save(runKey: string, plan: RestorePlan): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.sweep();
    const file = this.file(runKey);
    // A crash mid-write must leave either no plan or the whole plan, never a truncated one.
    await writeFile(`${file}.tmp`, JSON.stringify(plan), { mode: 0o600, flush: true });
    await rename(`${file}.tmp`, file);
  }

  async remove(runKey: string): Promise<void> {
    await rm(this.file(runKey), { force: true });
  }

  /** Plans of runs that never finished (the run failed for good) are dropped after 30 days. */
  private async sweep(): Promise<void> {
    const cutoff = Date.now() - PLAN_MAX_AGE_MS;
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (s && s.mtimeMs < cutoff) await rm(path, { force: true });
    }
  }
}
