// Parsers for `restic restore --json` and `restic ls --json` (restic 0.18). Pure, tested on
// captured output in __fixtures__.
import type { BackupProgress } from '../../../../contract/model';
import type { RestoreSummary, SnapshotEntry, SnapshotEntryType } from '../../../../contract/engine';
import { num, parseObject } from '../../json-lines';

export type RestoreEvent =
  | { kind: 'status'; progress: BackupProgress }
  | { kind: 'summary'; summary: Omit<RestoreSummary, 'verified'> }
  | { kind: 'error'; item: string; message: string }
  /** One item of a `--dry-run -vv` plan: what restic would do to it. */
  | { kind: 'planned'; action: string; item: string; size: number }
  | { kind: 'other'; line: string };

/** Dry-run actions after which the item at the target will have been (re)written. */
export const WRITING_ACTIONS: ReadonlySet<string> = new Set(['restored', 'updated']);


/** restic omits zero counters (`files_skipped`, `seconds_elapsed`, …): they read as 0. */
export function parseRestoreLine(line: string): RestoreEvent {
  const msg = parseObject(line);
  if (!msg) return { kind: 'other', line };
  switch (msg.message_type) {
    case 'status':
      return {
        kind: 'status',
        progress: {
          percent: Math.round(num(msg.percent_done) * 10_000) / 100,
          filesDone: num(msg.files_restored) + num(msg.files_skipped),
          filesTotal: num(msg.total_files),
          bytesDone: num(msg.bytes_restored) + num(msg.bytes_skipped),
          bytesTotal: num(msg.total_bytes),
          currentFile: null,
          secondsElapsed: num(msg.seconds_elapsed),
        },
      };
    case 'summary':
      return {
        kind: 'summary',
        summary: {
          filesTotal: num(msg.total_files),
          filesRestored: num(msg.files_restored),
          filesSkipped: num(msg.files_skipped),
          filesDeleted: num(msg.files_deleted),
          bytesTotal: num(msg.total_bytes),
          bytesRestored: num(msg.bytes_restored),
          bytesSkipped: num(msg.bytes_skipped),
        },
      };
    case 'verbose_status':
      return { kind: 'planned', action: String(msg.action ?? ''), item: String(msg.item ?? ''), size: num(msg.size) };
    case 'error': {
      const err = (msg.error ?? {}) as Record<string, unknown>;
      return { kind: 'error', item: String(msg.item ?? ''), message: typeof err.message === 'string' ? err.message : 'restore error' };
    }
    default:
      return { kind: 'other', line };
  }
}

// Go's os.FileMode keeps the permission bits low and the special bits high; POSIX wants
// them as 0o4000/0o2000/0o1000.
const GO_SETUID = 1 << 23;
const GO_SETGID = 1 << 22;
const GO_STICKY = 1 << 20;

export function posixMode(goMode: number): number {
  let mode = goMode & 0o777;
  if (goMode & GO_SETUID) mode |= 0o4000;
  if (goMode & GO_SETGID) mode |= 0o2000;
  if (goMode & GO_STICKY) mode |= 0o1000;
  return mode;
}

const ENTRY_TYPES: readonly SnapshotEntryType[] = ['file', 'dir', 'symlink', 'dev', 'chardev', 'fifo', 'socket'];

export function parseLsNode(msg: Record<string, unknown>): SnapshotEntry {
  const type = ENTRY_TYPES.includes(msg.type as SnapshotEntryType) ? (msg.type as SnapshotEntryType) : 'other';
  return {
    name: String(msg.name ?? ''),
    path: String(msg.path ?? ''),
    type,
    size: type === 'file' ? num(msg.size) : null,
    mtime: typeof msg.mtime === 'string' ? msg.mtime : null,
    mode: posixMode(num(msg.mode)),
    permissions: typeof msg.permissions === 'string' ? msg.permissions : '',
    uid: num(msg.uid),
    gid: num(msg.gid),
  };
}

export interface LsListing {
  /** The listed path's own node; null for `/`, which has none. */
  node: SnapshotEntry | null;
  children: SnapshotEntry[];
}

/**
 * Splits `ls --json <snap> <path>` into the path's own node and its direct children.
 * Returns null when the snapshot has nothing at `path` (restic then prints only the
 * snapshot line and exits 0).
 */
export function parseLsOutput(lines: string[], path: string): LsListing | null {
  let node: SnapshotEntry | null = null;
  const children: SnapshotEntry[] = [];
  const prefix = path === '/' ? '/' : `${path}/`;
  for (const line of lines) {
    const msg = parseObject(line);
    if (!msg || (msg.message_type ?? msg.struct_type) !== 'node') continue;
    const entry = parseLsNode(msg);
    if (entry.path === path) node = entry;
    else if (entry.path.startsWith(prefix) && !entry.path.slice(prefix.length).includes('/')) children.push(entry);
  }
  if (path !== '/' && node === null) return null;
  return { node, children };
}

/**
 * restic 0.18 with --json reports a fatal error as a JSON `exit_error` line on stderr;
 * turns those back into the plain text the failure classifier reads.
 */
export function plainStderr(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => {
      const msg = line.startsWith('{') ? parseObject(line) : null;
      return msg?.message_type === 'exit_error' && typeof msg.message === 'string' ? msg.message : line;
    })
    .join('\n');
}

/** A missing snapshot or path is the caller's mistake, not something a retry fixes. */
export function missingInSnapshot(stderr: string): string | null {
  if (/no matching ID found for prefix/i.test(stderr)) return 'snapshot not found in the repository';
  const path = /path "([^"]*)" not found in snapshot/.exec(stderr);
  if (path) return `${path[1]} not found in the snapshot`;
  if (/should be a file, but is a/.test(stderr)) return 'not a regular file';
  return null;
}
