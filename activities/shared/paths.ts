// Absolute paths as lists of ancestors; used where a job's paths are laid out afresh (pull mode).
import { isInside } from './restore-target';

/** Every proper ancestor of `path` except `/`, outermost first. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

/** Paths inside another of the list add nothing: the outer one brings them. */
export function outermostPaths(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && isInside(p, q)));
}
