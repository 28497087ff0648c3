// borg command lines for restores and browsing, as data. Archives are addressed by name
// (`<repo>::<name>`); the engine maps snapshot ids to names first.
import type { RestoreOptions } from '../../../../contract/engine';
import { UnsupportedByEngineError } from '../../../../contract/errors';
import { archiveRef, commonFlags } from './args';

const GLOB = /[*?[]/;

/** A snapshot path as borg's: without the leading '/'; the root is no path at all. */
export function borgPath(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * restore's includes (restic --include) as borg PATH arguments, which borg reads as patterns
 * ("pp:" path prefix, "sh:" shell glob). borg matches a path and everything below it, as
 * restic does:
 *   /srv/www            → pp:srv/www         (the prefix style, so a path is never read as a glob)
 *   /srv/*\/logs, *.conf → sh:srv/*\/logs, sh:**\/*.conf   (restic's relative patterns match anywhere)
 * Negation ('!…') is refused.
 */
export function includePaths(include: readonly string[] = []): string[] {
  return include.map((p) => {
    if (p.startsWith('!')) throw new UnsupportedByEngineError('borg', `restore with include '${p}'`, 'borg has no negated include patterns');
    const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
    if (trimmed === '/') return 'pp:';
    if (!GLOB.test(trimmed)) {
      if (!trimmed.startsWith('/')) return `sh:**/${trimmed}`;
      return `pp:${borgPath(trimmed)}`;
    }
    return trimmed.startsWith('/') ? `sh:${borgPath(trimmed)}` : `sh:**/${trimmed}`;
  });
}

/**
 * The PATH arguments of a restore's selection: its include patterns, and its exact paths as
 * path prefixes (`pp:` takes the name literally and matches the path and what is below it).
 * Empty: the whole archive.
 */
export function selectionPaths(opts: Pick<RestoreOptions, 'include' | 'paths'> = {}): string[] {
  return [...includePaths(opts.include), ...(opts.paths ?? []).map((p) => `pp:${borgPath(p)}`)].filter((p) => p !== 'pp:');
}

/**
 * `borg extract` into the working directory (the restore target): --list logs each item
 * extracted (counted into the summary), --progress logs `progress_percent` lines.
 */
export function extractArgs(url: string, name: string, opts: RestoreOptions = {}, patternsFile?: string): string[] {
  const paths = selectionPaths(opts);
  // The items an overwrite policy keeps as they are (overwrite.ts).
  const patterns = patternsFile ? ['--patterns-from', patternsFile] : [];
  return ['extract', ...commonFlags(), '--list', '--progress', ...patterns, archiveRef(url, name), ...paths];
}

/** Every item of an archive (or of `paths`), one JSON object per line on stdout. */
export function listItemsArgs(url: string, name: string, paths: string[] = [], patterns: string[] = []): string[] {
  const args = ['list', '--json-lines', ...commonFlags()];
  for (const p of patterns) args.push('--pattern', p);
  args.push(archiveRef(url, name), ...paths);
  return args;
}

/**
 * Everything at and below a directory. Not one level only: borg stores no node for the
 * parents of a backed-up path (/srv of /srv/www), so a directory's children include names
 * only known from the items further down (see items.ts directoryListing).
 */
export function listDirectoryArgs(url: string, name: string, path: string): string[] {
  return listItemsArgs(url, name, subtreePaths(path));
}

/** A regular file's bytes on stdout (of a directory borg would concatenate its files: check first). */
export function dumpFileArgs(url: string, name: string, path: string): string[] {
  return ['extract', ...commonFlags(), '--stdout', archiveRef(url, name), `pp:${borgPath(path)}`];
}

/**
 * A directory (or all: no paths) as a tar on stdout, members named without the leading '/'.
 * borg 1.2 writes GNU tar only (no --tar-format): owners, modes, whole-second times and
 * symlinks, but no extended attributes or ACLs (borg 2 adds PAX).
 */
export function exportTarArgs(url: string, name: string, paths: string[] = []): string[] {
  return ['export-tar', ...commonFlags(), archiveRef(url, name), '-', ...paths];
}

/** The PATH arguments of a directory of the snapshot: none for the root. */
export function subtreePaths(path: string): string[] {
  const p = borgPath(path);
  return p === '' ? [] : [`pp:${p}`];
}
