// Where the API may keep a local repository. The API runs `restic init` itself, as the user
// it runs as (often root), so an admin request must not be able to make any directory of the
// server a repository: the path must lie under one of BACKSTOP_REPOSITORY_ROOTS (default /),
// and a new repository needs a directory that is new or empty. restic init happily writes
// its config, keys and 256 data directories into a directory that holds other files; an
// early fuzzing run made the server's own / a repository that way.
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../contract/errors';
import { isInside, resolveThroughExisting } from '../activities/shared/restore-target';

/** Pure: an S3 URL, or an absolute local path without `..` inside one of the roots. */
export function checkRepositoryUrl(url: string, roots: readonly string[]): void {
  if (url.startsWith('s3:')) {
    if (!/^s3:(https?:\/\/)?[^/\s]+\/[^/\s]+/.test(url)) throw new InputError('S3 repositories look like s3:<endpoint>/<bucket>[/prefix]');
    return;
  }
  if (!isAbsolute(url) || url.split('/').includes('..')) throw new InputError('a local repository location must be an absolute path without ".."');
  const path = normalize(url);
  if (!roots.some((root) => isInside(path, root))) throw new InputError(`repository location ${path} is outside the allowed repository roots (BACKSTOP_REPOSITORY_ROOTS): ${roots.join(', ') || 'none'}`);
}

/** `/srv//backups/` → `/srv/backups`. */
function normalize(path: string): string {
  return `/${path.split('/').filter((s) => s !== '' && s !== '.').join('/')}`;
}

/**
 * The filesystem half, for a local location: where a symlink leads must be inside the roots
 * too, and a repository to be made needs a new or empty directory. A directory already
 * holding a repository (a `config` file and `keys/`) gets a hint to register it with
 * `init: false`.
 */
export async function checkLocalRepositoryLocation(url: string, roots: readonly string[], willInit: boolean): Promise<void> {
  if (url.startsWith('s3:')) return;
  const path = normalize(url);
  const real = await resolveThroughExisting(path);
  if (!roots.includes('/')) {
    const realRoots = await Promise.all(roots.map((r) => resolveThroughExisting(r)));
    if (!realRoots.some((root) => isInside(real, root))) throw new InputError(`repository location ${path} resolves to ${real}, outside the allowed repository roots (BACKSTOP_REPOSITORY_ROOTS)`);
  }
  if (!willInit) return;
  const info = await stat(real).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new InputError(`repository location ${path} cannot be checked (${err.code ?? 'error'})`);
  });
  if (info === null) return;
  if (!info.isDirectory()) throw new InputError(`repository location ${path} exists and is not a directory`);
  const entries = await readdir(real);
  if (entries.length === 0) return;
  // restic: config + keys/; borg: config + its README ("This is a Borg Backup repository.").
  const isRepository = entries.includes('config') && ((await stat(join(real, 'keys')).then((s) => s.isDirectory(), () => false)) || entries.includes('README'));
  if (isRepository) throw new InputError(`${path} already holds a repository: to register it, send "init": false with its password`);
  throw new InputError(`repository location ${path} is a directory that already holds other files: a new repository needs a new or empty directory`);
}
