// How Backstop's view of a snapshot (hex id, tags, original paths) maps onto PBS's, which has
// none of them. Pure.
//
// Ids: PBS names a snapshot `host/<backup-id>/<RFC 3339 time>` (inside a namespace); the API
// wants hex ids of 8-64 characters. A snapshot's id is the SHA-256 of its path, prefixed with
// `ns/<namespace>/` when it lives in a namespace (two namespaces of one datastore are two
// Backstop repositories, and their snapshots must not share ids). Ids are deterministic, so
// an id maps back to its snapshot by listing the snapshots and hashing each path.
//
// Tags and paths: PBS has no tags and records no source paths. Backstop writes them as the
// snapshot's notes (`snapshot notes update`) right after the backup, on the notes' first line,
// which `snapshot list` returns as `comment`: `backstop:{"tags":[...],"archives":{...}}`.
// The same record is also uploaded *inside* the snapshot, as the blob `backstop.conf`, by the
// backup itself: a crash between the backup and the note leaves a snapshot whose note is
// missing but whose blob is there, so adoption of an earlier attempt's snapshot still works
// (see ProxmoxBackupClient.findSnapshotsByTag, which repairs the note from the blob).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { UnsupportedByEngineError } from '../../../../contract/errors';

export const BACKUP_TYPE = 'host';
/** The blob that carries Backstop's record inside each snapshot (`<name>.conf` is a blob archive). */
export const RECORD_ARCHIVE = 'backstop.conf';
const NOTE_PREFIX = 'backstop:';

/** `host/<backup-id>/<time>`, the time as PBS prints it (RFC 3339, UTC, seconds). */
export function snapshotPath(backupType: string, backupId: string, backupTime: number): string {
  return `${backupType}/${backupId}/${epochToRfc3339(backupTime)}`;
}

export function epochToRfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Backstop's id of the PBS snapshot at `path` (in namespace `ns`, null for the root). */
export function snapshotIdOf(path: string, ns: string | null): string {
  return createHash('sha256').update(ns ? `ns/${ns}/${path}` : path).digest('hex');
}

/** What Backstop keeps about a snapshot that PBS does not: its tags and which archive holds which path. */
export interface SnapshotRecord {
  tags: string[];
  /** Archive name (`root.pxar`) → the original path it holds. */
  archives: Record<string, string>;
}

export function encodeRecord(record: SnapshotRecord): string {
  return JSON.stringify({ tags: record.tags, archives: record.archives });
}

/** The snapshot's notes: the record on the first line (the part `snapshot list` shows as comment). */
export function notesFor(record: SnapshotRecord): string {
  return `${NOTE_PREFIX}${encodeRecord(record)}\nWritten by Backstop; the first line lists the run's tags and the paths of its archives.`;
}

/** The record in a snapshot's comment or notes (first line), or in the blob; null when there is none. */
export function parseRecord(text: string | null | undefined): SnapshotRecord | null {
  if (!text) return null;
  let line = text.split('\n')[0]!.trim();
  if (line.startsWith(NOTE_PREFIX)) line = line.slice(NOTE_PREFIX.length);
  else if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as { tags?: unknown; archives?: unknown };
    const tags = Array.isArray(v.tags) ? v.tags.filter((t): t is string => typeof t === 'string') : [];
    const archives: Record<string, string> = {};
    if (v.archives && typeof v.archives === 'object') {
      for (const [k, p] of Object.entries(v.archives as Record<string, unknown>)) if (typeof p === 'string') archives[k] = p;
    }
    return { tags, archives };
  } catch {
    return null;
  }
}

const RESERVED = new Set(['catalog', 'index', 'backstop', 'client']);

/**
 * One `.pxar` archive per path: `root.pxar` for a single path (the manual's convention),
 * otherwise a name from the path's last component, reduced to what the client accepts in
 * an archive name ([A-Za-z0-9_-]) and made unique with `-2`, `-3`, ….
 */
export function archivesFor(paths: string[]): Array<{ archive: string; path: string }> {
  const clean = paths.map((p) => posix.resolve('/', p));
  if (clean.length === 1) return [{ archive: 'root.pxar', path: clean[0]! }];
  const used = new Set<string>();
  return clean.map((path) => {
    let base = (posix.basename(path) || 'root').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'path';
    if (RESERVED.has(base)) base = `${base}-dir`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return { archive: `${name}.pxar`, path };
  });
}

/** The archive name as the catalog shows it (`root.pxar.didx`, or the split `root.mpxar.didx`). */
export function catalogPrefixes(archive: string): string[] {
  const base = archive.replace(/\.pxar$/, '');
  return [`${base}.pxar.didx`, `${base}.mpxar.didx`];
}

/**
 * Turns Backstop's excludes (restic's: absolute paths or patterns) into pxar's, which are
 * gitignore-style and relative to each archive's root. A pattern without a leading `/`
 * means the same in both; an absolute one is re-anchored at the archive holding it, which
 * needs a single archive (the client applies every --exclude to every archive).
 */
export function pxarExcludes(excludes: string[], paths: string[]): string[] {
  const archives = archivesFor(paths);
  const out: string[] = [];
  for (const ex of excludes) {
    if (!ex.startsWith('/')) {
      out.push(ex);
      continue;
    }
    const holder = archives.find((a) => a.path === '/' || ex === a.path || ex.startsWith(`${a.path}/`));
    if (!holder) continue; // outside every path: excludes nothing
    if (archives.length > 1) {
      throw new UnsupportedByEngineError('pbs', 'exclude an absolute path from a backup of several paths', `the client applies each --exclude to every archive; exclude "${ex}" with a pattern relative to its directory, or back its path up in a job of its own`);
    }
    const rel = holder.path === '/' ? ex : ex.slice(holder.path.length);
    out.push(rel === '' ? '/*' : rel);
  }
  return out;
}
