// Where a restore may write, decided and enforced on the agent itself: the target must lie
// inside one of the agent's allowed roots (BACKSTOP_RESTORE_ROOTS) after every symlink in
// it is resolved, and include patterns must stay inside the snapshot. A refusal is an
// InputError raised before restic starts, so nothing is written.
//
// Symlinks *inside* the target need no check of ours: restic 0.18 replaces an existing
// symlink where the snapshot has a directory or file (even with --overwrite never) and never
// writes through it. What it does follow is the target path itself, hence realpath here.
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../contract/errors';

/** Splits an absolute path into segments, refusing relative paths, `.`/`..` and NUL bytes. */
export function absoluteSegments(path: string, what: string): string[] {
  if (!path.startsWith('/')) throw new InputError(`${what} must be an absolute path: ${path}`);
  if (path.includes('\0')) throw new InputError(`${what} contains a NUL byte`);
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) throw new InputError(`${what} must not contain "." or ".." segments: ${path}`);
  return segments;
}

/** `/a//b/` → `/a/b`, after the checks of absoluteSegments. */
export function normalizeAbsolute(path: string, what: string): string {
  return `/${absoluteSegments(path, what).join('/')}`;
}

export function isInside(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** `<root>/<short id>-<UTC time>`, e.g. `/restores/590e70fe-20261123T092741Z`. */
export function defaultTargetName(snapshotId: string, at: Date): string {
  const ts = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${snapshotId.slice(0, 8)}-${ts}`;
}

/**
 * The real location `path` would have: realpath of its deepest existing ancestor, plus the
 * segments that do not exist yet (which therefore cannot be symlinks).
 */
export async function resolveThroughExisting(path: string): Promise<string> {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    const exists = await lstat(current).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw new InputError(`restore target ${path} cannot be checked (${err.code ?? 'error'})`);
        return false;
      },
    );
    if (exists) {
      // A dangling symlink lstat()s fine but has no real path: refuse rather than guess.
      const real = await realpath(current).catch((err: NodeJS.ErrnoException) => {
        throw new InputError(`restore target ${path} cannot be resolved (${err.code ?? 'error'} at ${current})`);
      });
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    }
    if (current === '/') throw new InputError(`restore target ${path} cannot be resolved`);
    missing.push(basename(current));
    current = dirname(current);
  }
}

export interface ResolvedTarget {
  /** The real path restic writes to (symlinks resolved). */
  path: string;
  /** The target already existed (an in-place restore into existing content). */
  existed: boolean;
}

/**
 * Checks a requested target (or picks the default under the first root) against the
 * agent's allowed roots. Roots are resolved the same way, so a root that is itself a
 * symlink still works.
 */
export async function resolveRestoreTarget(req: { target: string | null; roots: string[]; snapshotId: string; now: Date }): Promise<ResolvedTarget> {
  if (req.roots.length === 0) throw new InputError('this agent allows no restore roots (BACKSTOP_RESTORE_ROOTS)');
  const requested = req.target === null ? join(req.roots[0]!, defaultTargetName(req.snapshotId, req.now)) : normalizeAbsolute(req.target, 'restore target');
  const real = await resolveThroughExisting(requested);
  const roots = await Promise.all(req.roots.map((r) => resolveThroughExisting(r)));
  if (!roots.some((root) => isInside(real, root))) {
    const via = real === requested ? '' : ` (resolves to ${real})`;
    throw new InputError(`restore target ${requested}${via} is outside this agent's allowed restore roots: ${req.roots.join(', ')}`);
  }
  const info = await stat(real).catch(() => null);
  if (info && !info.isDirectory()) throw new InputError(`restore target ${requested} exists and is not a directory`);
  return { path: real, existed: info !== null };
}

/**
 * A target checked before the run waited (for approval, say), checked again right before it
 * is written: it may have been swapped for a symlink since. Refuses one that resolves elsewhere now.
 */
export async function recheckRestoreTarget(req: { target: string; roots: string[]; snapshotId: string; now: Date }): Promise<ResolvedTarget> {
  const resolved = await resolveRestoreTarget(req);
  if (resolved.path !== req.target) throw new InputError(`restore target ${req.target} now resolves to ${resolved.path}; refusing`);
  return resolved;
}

const GLOB = /[*?[\\]/;

/** Whether an include pattern has a glob character (restic's patterns are Go's filepath.Match). */
export const hasGlob = (pattern: string): boolean => GLOB.test(pattern);

/**
 * Include patterns restic matches against snapshot paths. Absolute ones must overlap a
 * snapshot path (their literal part is inside one, or one is inside it); relative globs
 * such as `*.conf` match below any directory and cannot point elsewhere. `..` is refused.
 */
export function checkIncludes(include: string[], snapshotPaths: string[]): string[] {
  return include.map((pattern) => {
    if (pattern === '' || pattern.includes('\0')) throw new InputError('include patterns must be non-empty');
    const segments = pattern.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '..' || s === '.')) throw new InputError(`include pattern must not contain "." or ".." segments: ${pattern}`);
    if (!pattern.startsWith('/')) return segments.join('/');
    const literal: string[] = [];
    for (const s of segments) {
      if (hasGlob(s)) break;
      literal.push(s);
    }
    const prefix = `/${literal.join('/')}`;
    if (!snapshotPaths.some((p) => isInside(prefix, p) || isInside(p, prefix))) {
      throw new InputError(`include ${pattern} is not inside the snapshot's paths: ${snapshotPaths.join(', ')}`);
    }
    return `/${segments.join('/')}`;
  });
}
