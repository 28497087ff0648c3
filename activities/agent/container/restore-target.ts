// Where a container restore may write on this agent: a new directory under the agent's
// restore roots (BACKSTOP_RESTORE_ROOTS, symlinks resolved), checked before the run writes
// and again right before it does. It receives `rootfs/` or `rootfs.tar`, and `config/`.
import { readdir, stat } from 'node:fs/promises';
import { InputError } from '../../../contract/errors';
import type { ContainerRestoreFormat } from '../../../contract/container';
import type { ContainerRestoreTarget } from '../../../contract/container-activities';
import { isInside, normalizeAbsolute, resolveThroughExisting } from '../../shared/restore-target';

export async function checkContainerTarget(req: { target: string; format: ContainerRestoreFormat; roots: string[]; resumed?: boolean }): Promise<ContainerRestoreTarget> {
  const requested = normalizeAbsolute(req.target, 'restore target');
  if (req.roots.length === 0) throw new InputError('this agent allows no restore roots (BACKSTOP_RESTORE_ROOTS)');
  const real = await resolveThroughExisting(requested);
  const roots = await Promise.all(req.roots.map((r) => resolveThroughExisting(r)));
  if (!roots.some((root) => isInside(real, root) && real !== root)) {
    const via = real === requested ? '' : ` (resolves to ${real})`;
    throw new InputError(`restore target ${requested}${via} is not a new directory inside this agent's allowed restore roots: ${req.roots.join(', ')}`);
  }
  const info = await stat(real).catch(() => null);
  // A retry of the run finds what its first attempt began: that directory is its own.
  if (info && !(req.resumed && info.isDirectory())) {
    const what = info.isDirectory() ? ((await readdir(real)).length > 0 ? 'a directory that is not empty' : 'a directory') : 'a file';
    throw new InputError(`restore target ${requested} exists (${what}): a container is restored into a new directory`);
  }
  return { target: real, format: req.format };
}
