// Parsers for `borg list --json-lines <archive>` (borg 1.2): one item per line. Pure, tested
// on captured output in __fixtures__.
import type { PlannedWrite, SnapshotEntry, SnapshotEntryType, SnapshotListing } from '../../../../contract/engine';
import { num, parseObject } from '../../json-lines';
import { isoTime } from './parse';

const TYPES: Record<string, SnapshotEntryType> = {
  '-': 'file',
  // borg 1.2 lists a later hardlink to an earlier item as 'h'; it is a regular file.
  h: 'file',
  d: 'dir',
  l: 'symlink',
  b: 'dev',
  c: 'chardev',
  p: 'fifo',
  s: 'socket',
};

/** POSIX permission bits (with setuid/setgid/sticky) of an ls-style string like `-rwsr-x--T`. */
export function modeBits(permissions: string): number {
  const p = permissions.slice(1);
  if (p.length !== 9) return 0;
  let mode = 0;
  const bit = (i: number, v: number, chars: string) => (chars.includes(p[i]!) ? v : 0);
  mode |= bit(0, 0o400, 'r') | bit(1, 0o200, 'w') | bit(2, 0o100, 'xst');
  mode |= bit(3, 0o040, 'r') | bit(4, 0o020, 'w') | bit(5, 0o010, 'xst');
  mode |= bit(6, 0o004, 'r') | bit(7, 0o002, 'w') | bit(8, 0o001, 'xt');
  if ('sS'.includes(p[2]!)) mode |= 0o4000;
  if ('sS'.includes(p[5]!)) mode |= 0o2000;
  if ('tT'.includes(p[8]!)) mode |= 0o1000;
  return mode;
}

/** One item line as a SnapshotEntry (path absolute, size only for regular files), or null. */
export function parseItem(line: string): SnapshotEntry | null {
  const msg = parseObject(line);
  if (!msg || typeof msg.path !== 'string') return null;
  const rawType = String(msg.type ?? '');
  const type = TYPES[rawType] ?? 'other';
  const path = `/${msg.path.replace(/^\/+/, '')}`;
  const permissions = typeof msg.mode === 'string' ? msg.mode : '';
  return {
    name: path.slice(path.lastIndexOf('/') + 1),
    path,
    type,
    size: type === 'file' ? num(msg.size) : null,
    mtime: typeof msg.mtime === 'string' ? isoTime(msg.mtime) : null,
    mode: modeBits(permissions),
    permissions,
    uid: num(msg.uid),
    gid: num(msg.gid),
  };
}

export function parseItems(lines: readonly string[]): SnapshotEntry[] {
  return lines.map(parseItem).filter((e): e is SnapshotEntry => e !== null);
}

/**
 * A directory the archive holds no node for: a parent of a backed-up path, which borg does
 * not store (restic does). Shown as a plain directory with unknown time.
 */
export function syntheticDir(path: string): SnapshotEntry {
  return { name: path.slice(path.lastIndexOf('/') + 1), path, type: 'dir', size: null, mtime: null, mode: 0o755, permissions: 'drwxr-xr-x', uid: 0, gid: 0 };
}

/**
 * A directory's own node and direct children, from the items at and below it; null when the
 * archive has nothing at `path`. Children known only from deeper items (parents of the
 * backed-up paths) appear as synthetic directories.
 */
export function directoryListing(entries: readonly SnapshotEntry[], path: string): SnapshotListing | null {
  const dir = path === '/' || path === '' ? '/' : `/${path.replace(/^\/+/, '').replace(/\/+$/, '')}`;
  const prefix = dir === '/' ? '/' : `${dir}/`;
  let node: SnapshotEntry | null = null;
  let below = false;
  const children = new Map<string, SnapshotEntry>();
  for (const e of entries) {
    if (e.path === dir) {
      node = e;
      continue;
    }
    if (!e.path.startsWith(prefix)) continue;
    below = true;
    const rest = e.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) children.set(e.path, e);
    else {
      const child = prefix + rest.slice(0, slash);
      if (!children.has(child)) children.set(child, syntheticDir(child));
    }
  }
  if (dir === '/') return { node: null, children: [...children.values()] };
  if (node === null && !below) return null;
  return { node: node ?? syntheticDir(dir), children: [...children.values()] };
}

/** What a restore writes: every item, its size for regular files. */
export function plannedWrites(entries: readonly SnapshotEntry[]): PlannedWrite[] {
  return entries.map((e) => ({ path: e.path, size: e.size ?? 0 }));
}
