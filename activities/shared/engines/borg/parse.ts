// Parsers for borg 1.2's --json / --log-json output. Pure, tested on captured output in
// __fixtures__.
import type { BackupProgress, BackupStats } from '../../../../contract/model';
import { BackstopError, ErrorType, NotFoundError } from '../../../../contract/errors';
import { num, parseObject } from '../../json-lines';
import { parseComment, type Archive } from './names';

/** One stderr line of a borg command run with --log-json (and --progress / --list). */
export type BorgEvent =
  | { kind: 'log'; level: string; name: string; msgid: string | null; message: string }
  | { kind: 'progress'; originalSize: number; nfiles: number; path: string | null; finished: boolean }
  | { kind: 'file'; status: string; path: string }
  | { kind: 'other'; line: string };

export function parseEvent(line: string): BorgEvent {
  const msg = parseObject(line);
  if (!msg) return { kind: 'other', line };
  switch (msg.type) {
    case 'log_message':
      return {
        kind: 'log',
        level: String(msg.levelname ?? ''),
        name: String(msg.name ?? ''),
        msgid: typeof msg.msgid === 'string' ? msg.msgid : null,
        message: String(msg.message ?? ''),
      };
    case 'archive_progress':
      return { kind: 'progress', originalSize: num(msg.original_size), nfiles: num(msg.nfiles), path: typeof msg.path === 'string' && msg.path !== '' ? msg.path : null, finished: msg.finished === true };
    case 'file_status':
      return { kind: 'file', status: String(msg.status ?? ''), path: String(msg.path ?? '') };
    default:
      // progress_message / progress_percent: cache and transaction phases, not needed.
      return { kind: 'other', line };
  }
}

/**
 * A create's progress in Backstop's shape. borg counts what it has read (files, original
 * bytes) but never knows the totals up front: totals and percent stay 0 ("unknown").
 */
export function backupProgress(e: Extract<BorgEvent, { kind: 'progress' }>, secondsElapsed: number): BackupProgress {
  return {
    percent: 0,
    filesDone: e.nfiles,
    filesTotal: 0,
    bytesDone: e.originalSize,
    bytesTotal: 0,
    currentFile: e.path === null ? null : `/${e.path.replace(/^\/+/, '')}`,
    secondsElapsed,
  };
}

/** file_status counts of a create run with --list. */
export interface FileCounts {
  added: number;
  modified: number;
  unchanged: number;
  errors: string[];
}

export function emptyCounts(): FileCounts {
  return { added: 0, modified: 0, unchanged: 0, errors: [] };
}

export function countFile(counts: FileCounts, e: Extract<BorgEvent, { kind: 'file' }>): void {
  if (e.status === 'A') counts.added++;
  else if (e.status === 'M') counts.modified++;
  else if (e.status === 'U') counts.unchanged++;
  else if (e.status === 'E') counts.errors.push(e.path);
}

/** The path a WARNING like `/src/secret: open: [Errno 13] Permission denied: 'secret'` is about. */
export function warningPath(message: string): string | null {
  const m = /^(\/.*?): [a-z_]+: \[Errno \d+\]/.exec(message);
  return m ? m[1]! : null;
}

export interface CreateResult {
  id: string;
  name: string;
  /** ISO time the archive records (its start). */
  time: string;
  stats: BackupStats;
}

/** borg's naive timestamps (printed with TZ=UTC) as ISO UTC. */
export function isoTime(naive: unknown): string {
  const text = String(naive ?? '');
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

/**
 * The --json document `borg create` prints on stdout. borg reports totals, not a restic-style
 * breakdown: new/changed/unchanged files come from the --list counts; directories are not
 * counted (0).
 */
export function parseCreateOutput(stdout: string, counts: FileCounts): CreateResult {
  const doc = parseObject(stdout.trim());
  const archive = (doc?.archive ?? null) as Record<string, unknown> | null;
  if (!archive || typeof archive.id !== 'string') throw new BackstopError(ErrorType.engine, 'borg create: no archive in its --json output');
  const stats = (archive.stats ?? {}) as Record<string, unknown>;
  return {
    id: archive.id,
    name: String(archive.name ?? ''),
    time: isoTime(archive.start),
    stats: {
      filesNew: counts.added,
      filesChanged: counts.modified,
      filesUnmodified: counts.unchanged,
      dirsNew: 0,
      dirsChanged: 0,
      dirsUnmodified: 0,
      dataAdded: num(stats.deduplicated_size),
      totalFilesProcessed: num(stats.nfiles),
      totalBytesProcessed: num(stats.original_size),
      durationSeconds: num(archive.duration),
    },
  };
}

/**
 * `borg list --json --format …`: every archive with Backstop's comment read back. An archive
 * without one (an operator's) has no tags or paths and borg's own hostname.
 */
export function parseArchiveList(stdout: string): Archive[] {
  const doc = parseObject(stdout.trim());
  if (!doc || !Array.isArray(doc.archives)) throw new BackstopError(ErrorType.engine, 'borg list did not return a list of archives');
  return (doc.archives as Array<Record<string, unknown>>).map((a) => {
    const comment = parseComment(a.comment);
    const name = String(a.name ?? a.archive ?? '');
    return {
      name,
      snapshot: {
        id: String(a.id ?? ''),
        time: isoTime(a.time ?? a.start),
        hostname: comment?.host || String(a.hostname ?? ''),
        paths: comment?.paths ?? [],
        tags: comment?.tags ?? [],
      },
    };
  });
}

/** The archive a snapshot id (borg's archive id, or a unique prefix of at least 8 hex digits) names. */
export function resolveArchive(archives: readonly Archive[], id: string): Archive {
  const wanted = id.toLowerCase();
  if (/^[0-9a-f]{8,64}$/.test(wanted)) {
    const exact = archives.find((a) => a.snapshot.id === wanted);
    if (exact) return exact;
    const matches = archives.filter((a) => a.snapshot.id.startsWith(wanted));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new NotFoundError(`snapshot id ${id} is ambiguous in the repository (${matches.length} archives)`);
  }
  throw new NotFoundError(`snapshot ${id} not found in the repository`);
}

/** The errors of a failed command, as borg logged them. */
export function errorLogs(stderr: string): Array<{ msgid: string | null; message: string }> {
  const out: Array<{ msgid: string | null; message: string }> = [];
  for (const line of stderr.split('\n')) {
    const e = parseEvent(line);
    if (e.kind === 'log' && (e.level === 'ERROR' || e.level === 'CRITICAL')) out.push({ msgid: e.msgid, message: e.message });
  }
  return out;
}

const MSGID_TYPES: ReadonlyArray<[RegExp, ErrorType, string]> = [
  [/^PassphraseWrong$/, ErrorType.repositoryAuth, 'wrong repository passphrase'],
  [/^Repository\.(DoesNotExist|InvalidRepository)$|^InvalidRepository$/, ErrorType.repositoryMissing, 'no initialised repository at the configured location'],
  [/^(LockTimeout|LockFailed|LockError|LockErrorT|NotLocked|NotMyLock)$/, ErrorType.repositoryLocked, 'repository is locked by another process'],
  [/^Repository\.AlreadyExists$/, ErrorType.conflict, 'a repository already exists at that location'],
];

/**
 * Turns a failed borg exit (1 warning, 2 error, or a signal) into a typed error by the
 * msgid of its ERROR log lines. The message quotes borg's own last lines (never the
 * environment) so an operator sees what went wrong.
 */
export function classifyFailure(exitCode: number | null, stderr: string, what: string): BackstopError {
  const errors = errorLogs(stderr);
  const plain = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{'));
  const detail = [...errors.map((e) => e.message.trim()), ...plain].slice(-3).join('; ');
  for (const { msgid } of errors) {
    if (msgid === null) continue;
    for (const [pattern, type, summary] of MSGID_TYPES) {
      if (pattern.test(msgid)) return new BackstopError(type, `${what}: ${summary}`, { exitCode, msgid, stderr: detail });
    }
  }
  const exit = exitCode === null ? 'was killed' : `exited with code ${exitCode}`;
  return new BackstopError(ErrorType.engine, `${what}: borg ${exit}${detail ? `: ${detail}` : ''}`, { exitCode });
}

/** True when a create failed only because its archive name is taken (an earlier attempt's). */
export function archiveExists(stderr: string): boolean {
  return errorLogs(stderr).some((e) => e.msgid === 'Archive.AlreadyExists');
}
