// Parsers for proxmox-backup-client's output. Pure, tested on output in the client's
// documented formats (__fixtures__/README.md says where each comes from).
import type { BackupProgress, BackupStats } from '../../../../contract/model';
import { BackstopError, ErrorType, NotFoundError } from '../../../../contract/errors';
import type { EngineSnapshot, ForgetGroup, SnapshotEntry, SnapshotEntryType, SnapshotListing } from '../../../../contract/engine';
import { num } from '../../json-lines';
import { catalogPrefixes, parseRecord, snapshotIdOf, snapshotPath, epochToRfc3339, RECORD_ARCHIVE, type SnapshotRecord } from './snapshots';

/** One snapshot as `snapshot list --output-format json` reports it, with Backstop's record. */
export interface PbsSnapshot {
  /** `host/<backup-id>/<time>` */
  path: string;
  backupType: string;
  backupId: string;
  backupTime: number;
  /** Archive and blob file names (`root.pxar.didx`, `index.json.blob`, …). */
  files: string[];
  /** Backstop's record from the comment (the notes' first line); null when there is none. */
  record: SnapshotRecord | null;
  protected: boolean;
  snapshot: EngineSnapshot;
}

function asList(json: string, what: string): Array<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(json.trim() === '' ? '[]' : json);
  if (!Array.isArray(parsed)) throw new BackstopError(ErrorType.engine, `${what} did not return a list`);
  return parsed.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
}

export function toEngineSnapshot(path: string, backupId: string, backupTime: number, record: SnapshotRecord | null, ns: string | null): EngineSnapshot {
  return {
    id: snapshotIdOf(path, ns),
    time: epochToRfc3339(backupTime),
    hostname: backupId,
    paths: record ? Object.values(record.archives) : [],
    tags: record ? record.tags : [],
  };
}

/** `snapshot list --output-format json` → snapshots, oldest first. */
export function parseSnapshotList(json: string, ns: string | null): PbsSnapshot[] {
  return asList(json, 'proxmox-backup-client snapshot list')
    .map((s) => {
      const backupType = String(s['backup-type'] ?? '');
      const backupId = String(s['backup-id'] ?? '');
      const backupTime = num(s['backup-time']);
      const path = snapshotPath(backupType, backupId, backupTime);
      const record = parseRecord(typeof s.comment === 'string' ? s.comment : null);
      const files = Array.isArray(s.files)
        ? s.files.map((f) => (typeof f === 'string' ? f : String((f as Record<string, unknown>)?.filename ?? ''))).filter((f) => f !== '')
        : [];
      return { path, backupType, backupId, backupTime, files, record, protected: s.protected === true, snapshot: toEngineSnapshot(path, backupId, backupTime, record, ns) };
    })
    .sort((a, b) => a.backupTime - b.backupTime || a.path.localeCompare(b.path));
}

/** True when the snapshot carries Backstop's record blob (written by every Backstop backup). */
export function hasRecordBlob(s: PbsSnapshot): boolean {
  return s.files.some((f) => f === `${RECORD_ARCHIVE}.blob` || f === RECORD_ARCHIVE);
}

/**
 * `prune <group> --output-format json` → one ForgetGroup. Each entry says whether the
 * policy keeps it; PBS gives no reasons beyond that (or "protected").
 */
export function parsePrune(json: string, known: Map<string, PbsSnapshot>, ns: string | null, tags: string[]): ForgetGroup {
  const group: ForgetGroup = { host: null, paths: [], tags, keep: [], remove: [] };
  const paths = new Set<string>();
  for (const e of asList(json, 'proxmox-backup-client prune')) {
    const backupId = String(e['backup-id'] ?? '');
    const backupTime = num(e['backup-time']);
    const path = snapshotPath(String(e['backup-type'] ?? ''), backupId, backupTime);
    group.host = backupId;
    const snapshot = known.get(path)?.snapshot ?? toEngineSnapshot(path, backupId, backupTime, null, ns);
    for (const p of snapshot.paths) paths.add(p);
    if (e.keep === true) group.keep.push({ snapshot, reasons: [e.protected === true ? 'protected' : 'policy'] });
    else group.remove.push(snapshot);
  }
  group.paths = [...paths].sort();
  return group;
}

// --- catalog ----------------------------------------------------------------------------

const TYPES: Record<string, SnapshotEntryType> = { d: 'dir', f: 'file', l: 'symlink', h: 'file', b: 'dev', c: 'chardev', p: 'fifo', s: 'socket' };

export interface CatalogLine {
  type: SnapshotEntryType;
  /** Archive name as listed (`root.pxar.didx`). */
  archive: string;
  /** Path inside the archive, `/` for its root. */
  path: string;
  size: number | null;
  mtime: string | null;
}

/** Undoes Rust's `{:?}` quoting of a path: `\"`, `\\`, `\n`, `\t`, `\r`, `\'`, `\0`, `\u{…}`, `\xNN`. */
export function unquoteRust(quoted: string): string {
  const inner = quoted.slice(1, -1);
  return inner.replace(/\\(u\{([0-9a-fA-F]+)\}|x([0-9a-fA-F]{2})|.)/g, (_m, esc: string, uni?: string, hex?: string) => {
    if (uni) return String.fromCodePoint(parseInt(uni, 16));
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[esc] ?? esc;
  });
}

const CATALOG_LINE = /^([dflhbcps]) ("(?:[^"\\]|\\.)*")(?: (\d+) (\S+))?$/;

/**
 * One line of `catalog dump`: `<type> "<./archive.didx/path>"`, files with ` <size> <mtime>`
 * (mtime `%FT%TZ`, or raw epoch seconds when the client could not format it).
 */
export function parseCatalogLine(line: string): CatalogLine | null {
  const m = CATALOG_LINE.exec(line.trim());
  if (!m) return null;
  const full = unquoteRust(m[2]!).replace(/^\.\//, '');
  const slash = full.indexOf('/');
  const archive = slash < 0 ? full : full.slice(0, slash);
  const path = slash < 0 ? '/' : full.slice(slash);
  let mtime: string | null = null;
  if (m[4]) mtime = /^-?\d+$/.test(m[4]) ? epochToRfc3339(Number(m[4])) : m[4];
  return { type: TYPES[m[1]!] ?? 'other', archive, path, size: m[3] ? Number(m[3]) : null, mtime };
}

/** ls-style permissions for a catalog entry: the catalog records the type, not the mode. */
function permissionsOf(type: SnapshotEntryType): string {
  const c = { dir: 'd', symlink: 'l', dev: 'b', chardev: 'c', fifo: 'p', socket: 's' }[type as string] ?? '-';
  return `${c}?????????`;
}

function entry(path: string, type: SnapshotEntryType, size: number | null, mtime: string | null): SnapshotEntry {
  // The catalog has no owner or mode: 0 and `?????????` say "unknown" rather than guess.
  return { name: path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1), path, type, size: type === 'file' ? (size ?? 0) : null, mtime, mode: 0, permissions: permissionsOf(type), uid: 0, gid: 0 };
}

/**
 * Catalog lines of a snapshot → the listing of `path` in Backstop's view, where each
 * archive's root sits at the original path it was made from (`archives`: archive name →
 * path). Directories above those paths, which no archive holds, appear as plain dirs.
 * Returns null when the snapshot has nothing at `path`.
 */
export function listingFromCatalog(lines: Iterable<string>, archives: Record<string, string>, path: string): SnapshotListing | null {
  const want = path === '/' ? '/' : path.replace(/\/+$/, '');
  const prefixToRoot = new Map<string, string>();
  for (const [archive, root] of Object.entries(archives)) for (const p of catalogPrefixes(archive)) prefixToRoot.set(p, root);
  const children = new Map<string, SnapshotEntry>();
  let node: SnapshotEntry | null = null;
  const addChild = (e: SnapshotEntry) => {
    if (!children.has(e.path)) children.set(e.path, e);
  };
  // Directories from `/` down to each archive root, which no archive lists above its root.
  for (const root of prefixToRoot.values()) {
    const parts = root.split('/').filter(Boolean);
    const chain = parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
    chain.unshift('/');
    for (let i = 0; i < chain.length; i++) {
      if (chain[i] === want && want !== '/') node ??= entry(want, 'dir', null, null);
      if (i > 0 && chain[i - 1] === want) addChild(entry(chain[i]!, 'dir', null, null));
    }
  }
  for (const line of lines) {
    const c = parseCatalogLine(line);
    if (!c) continue;
    const root = prefixToRoot.get(c.archive);
    if (root === undefined) continue;
    const full = c.path === '/' ? root : root === '/' ? c.path : `${root}${c.path}`;
    if (full === want) node = entry(full, c.type, c.size, c.mtime);
    const parent = full.slice(0, full.lastIndexOf('/')) || '/';
    if (parent === want && full !== want) children.set(full, entry(full, c.type, c.size, c.mtime));
  }
  if (want !== '/' && node === null) return null;
  if (want === '/') node = null;
  return { node, children: [...children.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Every regular file the catalog holds under `roots` (Backstop paths), for a restore plan. */
export function filesFromCatalog(lines: Iterable<string>, archives: Record<string, string>, include: (path: string) => boolean): Array<{ path: string; size: number }> {
  const prefixToRoot = new Map<string, string>();
  for (const [archive, root] of Object.entries(archives)) for (const p of catalogPrefixes(archive)) prefixToRoot.set(p, root);
  const out: Array<{ path: string; size: number }> = [];
  for (const line of lines) {
    const c = parseCatalogLine(line);
    if (!c || c.type !== 'file') continue;
    const root = prefixToRoot.get(c.archive);
    if (root === undefined) continue;
    const full = root === '/' ? c.path : `${root}${c.path}`;
    if (include(full)) out.push({ path: full, size: c.size ?? 0 });
  }
  return out;
}

// --- backup output ----------------------------------------------------------------------

const UNITS: Record<string, number> = {
  B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15,
  KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4, PIB: 1024 ** 5,
};

/** `1.234 GiB`, `512 B`, `12 KiB`, `3.5 MB` → bytes; null when it is not a size. */
export function parseHumanBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]i?B|B)?\s*$/i.exec(text);
  if (!m) return null;
  const unit = UNITS[(m[2] ?? 'B').toUpperCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/** `12.34 s`, `12.34s`, `1m 3s`, `1h 2m 3.5s` → seconds; null otherwise. */
export function parseSeconds(text: string): number | null {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?\s*s$/.test(t)) return Number(t.replace(/\s*s$/, ''));
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)\s*(h|m|s)\b/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join(' ').replace(/\s+/g, '') !== t.replace(/\s+/g, '')) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * ({ h: 3600, m: 60, s: 1 } as Record<string, number>)[p[2]!]!, 0);
}

export type BackupLine =
  | { kind: 'start'; snapshot: string }
  | { kind: 'archive'; archive: string; uploaded: number; total: number; seconds: number }
  | { kind: 'progress'; bytesDone: number; seconds: number | null }
  | { kind: 'duration'; seconds: number }
  | { kind: 'end' }
  | { kind: 'other'; line: string };

// `Starting backup: host/web1/2026-12-03T00:40:33Z`, in a namespace prefixed with it (`[ns]:` or `ns/<ns>/`).
const START = /^Starting backup: .*?\b((?:host|vm|ct)\/[^\s/]+\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/;
const HAD_TO = /^(\S+): had to backup (.+?) of (.+?)(?: \(compressed .+?\))? in (.+?)(?: \(average .*\))?\s*$/;
const PROCESSED = /^(?:\S+: )?processed (.+?) in (.+?), uploaded (.+?)\s*$/;
const DURATION = /^Duration: (.+?)\s*$/;

/** One line of `backup` output (stdout or stderr; the client logs to both depending on version). */
export function parseBackupLine(line: string): BackupLine {
  const text = line.trim();
  let m = START.exec(text);
  if (m) return { kind: 'start', snapshot: m[1]! };
  m = HAD_TO.exec(text);
  if (m) {
    const uploaded = parseHumanBytes(m[2]!);
    const total = parseHumanBytes(m[3]!);
    if (uploaded !== null && total !== null) return { kind: 'archive', archive: m[1]!, uploaded, total, seconds: parseSeconds(m[4]!) ?? 0 };
  }
  m = PROCESSED.exec(text);
  if (m) {
    const done = parseHumanBytes(m[1]!);
    if (done !== null) return { kind: 'progress', bytesDone: done, seconds: parseSeconds(m[2]!) };
  }
  m = DURATION.exec(text);
  if (m) {
    const s = parseSeconds(m[1]!);
    if (s !== null) return { kind: 'duration', seconds: s };
  }
  if (/^End Time: /.test(text)) return { kind: 'end' };
  return { kind: 'other', line };
}

/** Folds the lines of one backup into what it reported. */
export class BackupReport {
  snapshot: string | null = null;
  ended = false;
  private duration: number | null = null;
  private readonly archives = new Map<string, { uploaded: number; total: number; seconds: number }>();
  private bytesDone = 0;
  private startedAt = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** Feeds one line; returns progress when the line moved it. */
  push(line: string): BackupProgress | null {
    const e = parseBackupLine(line);
    switch (e.kind) {
      case 'start':
        this.snapshot = e.snapshot;
        return null;
      case 'archive':
        this.archives.set(e.archive, e);
        return this.progress(null);
      case 'progress':
        this.bytesDone = e.bytesDone;
        return this.progress(null);
      case 'duration':
        this.duration = e.seconds;
        return null;
      case 'end':
        this.ended = true;
        return null;
      default:
        return null;
    }
  }

  private progress(currentFile: string | null): BackupProgress {
    const done = [...this.archives.values()].reduce((s, a) => s + a.total, 0);
    const bytesDone = Math.max(done, this.bytesDone);
    return { percent: 0, filesDone: 0, filesTotal: 0, bytesDone, bytesTotal: 0, currentFile, secondsElapsed: Math.round((this.now() - this.startedAt) / 1000) };
  }

  /** Stats as far as the client reports them: bytes, not file counts (it prints none). */
  stats(): BackupStats | null {
    if (this.archives.size === 0 && this.duration === null) return null;
    const list = [...this.archives.entries()].filter(([name]) => /\.[mp]?pxar(?:\.didx)?$/.test(name));
    return {
      filesNew: 0,
      filesChanged: 0,
      filesUnmodified: 0,
      dirsNew: 0,
      dirsChanged: 0,
      dirsUnmodified: 0,
      dataAdded: list.reduce((s, [, a]) => s + a.uploaded, 0),
      totalFilesProcessed: 0,
      totalBytesProcessed: list.reduce((s, [, a]) => s + a.total, 0),
      durationSeconds: this.duration ?? list.reduce((s, [, a]) => s + a.seconds, 0),
    };
  }
}

// --- errors -----------------------------------------------------------------------------

const FAILURES: ReadonlyArray<[RegExp, ErrorType, string]> = [
  [/fingerprint|certificate validation failed|certificate verify failed/i, ErrorType.input, 'the server certificate does not match the configured fingerprint'],
  [/wrong password|unable to decrypt|decryption failed|Unable to decrypt/i, ErrorType.repositoryAuth, 'the encryption key or its password is wrong'],
  [/authentication failed|permission check failed|401 Unauthorized|no such user|invalid token|403 Forbidden/i, ErrorType.repositoryAuth, 'authentication failed or the user/API token lacks privileges on the datastore or namespace'],
  [/datastore '?[^']*'? does not exist|no such datastore|namespace .*(?:does not exist|not found)|unable to get datastore/i, ErrorType.repositoryMissing, 'no such datastore or namespace on the server'],
  [/unable to acquire lock|already locked|lock failed|backup group is locked|base snapshot is already locked/i, ErrorType.repositoryLocked, 'the backup group is locked by another backup or task'],
  [/(?:unable to (?:open|access|stat)|failed to open|opendir failed).*(?:No such file or directory|ENOENT)|No such file or directory \(os error 2\)/i, ErrorType.sourceMissing, 'a path to back up does not exist'],
];

/** Turns a non-zero client exit into a typed error quoting the client's last lines (never its environment). */
export function classifyFailure(exitCode: number | null, stderr: string, what: string): BackstopError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const detail = lines.slice(-3).join('; ');
  if (/snapshot .*(?:does not exist|not found)|unable to (?:find|get) (?:backup )?snapshot|manifest load error.*No such file|index\.json\.blob.*No such file|backup (?:dir|snapshot|group) .*does not exist/i.test(stderr)) {
    return new NotFoundError(`${what}: snapshot not found on the server${detail ? `: ${detail}` : ''}`);
  }
  for (const [pattern, type, summary] of FAILURES) {
    if (pattern.test(stderr)) return new BackstopError(type, `${what}: ${summary}${detail ? `: ${detail}` : ''}`, { exitCode });
  }
  const exit = exitCode === null ? 'was killed' : `exited with code ${exitCode}`;
  return new BackstopError(ErrorType.engine, `${what}: proxmox-backup-client ${exit}${detail ? `: ${detail}` : ''}`, { exitCode });
}
