// Where a guest restore may write on this agent, checked before the run waits for approval
// and again right before it writes: a new image file or a new (or empty) directory under the
// agent's restore roots (BACKSTOP_RESTORE_ROOTS, symlinks resolved), or an existing block
// device — a device is never under a restore root, so it is the one target outside them, and
// writing it over is what approval is for.
import { readdir, stat } from 'node:fs/promises';
import { InputError } from '../../../contract/errors';
import type { GuestRestoreTarget } from '../../../contract/guest-activities';
import { isInside, normalizeAbsolute, resolveThroughExisting } from '../../shared/restore-target';

export interface GuestTargetRequest {
  target: string;
  /** One disk, or null for the whole guest. */
  disk: string | null;
  roots: string[];
  /** A retry of the run that already began writing it: an existing file or a non-empty directory is its own. */
  resumed?: boolean;
}

export async function checkGuestTarget(req: GuestTargetRequest): Promise<GuestRestoreTarget> {
  const requested = normalizeAbsolute(req.target, 'restore target');
  const real = await resolveThroughExisting(requested);
  const info = await stat(real).catch(() => null);
  if (req.disk !== null && info?.isBlockDevice()) return { target: real, kind: 'block-device' };
  if (req.roots.length === 0) throw new InputError('this agent allows no restore roots (BACKSTOP_RESTORE_ROOTS)');
  const roots = await Promise.all(req.roots.map((r) => resolveThroughExisting(r)));
  if (!roots.some((root) => isInside(real, root))) {
    const via = real === requested ? '' : ` (resolves to ${real})`;
    throw new InputError(`restore target ${requested}${via} is outside this agent's allowed restore roots: ${req.roots.join(', ')}`);
  }
  if (req.disk !== null) {
    if (info && !(req.resumed && info.isFile())) throw new InputError(`restore target ${requested} exists: a disk is restored into a new image file or over a block device`);
    return { target: real, kind: 'image-file' };
  }
  if (info && !info.isDirectory()) throw new InputError(`restore target ${requested} exists and is not a directory`);
  if (info && !req.resumed && (await readdir(real)).length > 0) throw new InputError(`restore target ${requested} is not empty: a whole guest is restored into a new or empty directory`);
  return { target: real, kind: 'directory' };
}
