// Parsers for restic's --json output and error text. Pure, tested on captured output.
import type { BackupProgress, BackupStats } from '../../../../contract/model';
import { BackstopError, ErrorType } from '../../../../contract/errors';
import type { BackupRequest, EngineSnapshot } from '../../../../contract/engine';
import { posix } from 'node:path';

export type BackupEvent =
  | { kind: 'status'; progress: BackupProgress }
  | { kind: 'summary'; stats: BackupStats; snapshotId: string; backupStart: string | null }
  | { kind: 'error'; item: string; during: string; message: string }
  | { kind: 'other'; line: string };

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function parseBackupLine(line: string): BackupEvent {
  let msg: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return { kind: 'other', line };
    msg = parsed as Record<string, unknown>;
  } catch {
    return { kind: 'other', line };
  }
  switch (msg.message_type) {
    case 'status': {
      const current = Array.isArray(msg.current_files) ? msg.current_files : [];
      return {
        kind: 'status',
        progress: {
          percent: Math.round(num(msg.percent_done) * 10_000) / 100,
          filesDone: num(msg.files_done),
          filesTotal: num(msg.total_files),
          bytesDone: num(msg.bytes_done),
          bytesTotal: num(msg.total_bytes),
          currentFile: typeof current[0] === 'string' ? current[0] : null,
          secondsElapsed: num(msg.seconds_elapsed),
        },
      };
    }
    case 'summary':
      return {
        kind: 'summary',
        snapshotId: String(msg.snapshot_id ?? ''),
        // restic >= 0.17; the snapshot's own time when no --time is given.
        backupStart: typeof msg.backup_start === 'string' ? msg.backup_start : null,
        stats: {
          filesNew: num(msg.files_new),
          filesChanged: num(msg.files_changed),
          filesUnmodified: num(msg.files_unmodified),
          dirsNew: num(msg.dirs_new),
          dirsChanged: num(msg.dirs_changed),
          dirsUnmodified: num(msg.dirs_unmodified),
          dataAdded: num(msg.data_added),
          totalFilesProcessed: num(msg.total_files_processed),
          totalBytesProcessed: num(msg.total_bytes_processed),
          durationSeconds: num(msg.total_duration),
        },
      };
    case 'error': {
      const err = (msg.error ?? {}) as Record<string, unknown>;
      // restic 0.14 serialises many Go errors as {}; fall back to the step it failed in.
      const message =
        typeof err.message === 'string'
          ? err.message
          : typeof err.Op === 'string'
            ? `${err.Op} failed (errno ${String(err.Err)})`
            : `unreadable during ${String(msg.during ?? 'backup')}`;
      return { kind: 'error', item: String(msg.item ?? ''), during: String(msg.during ?? ''), message };
    }
    default:
      return { kind: 'other', line };
  }
}

interface RawSnapshot {
  id?: unknown;
  time?: unknown;
  hostname?: unknown;
  paths?: unknown;
  tags?: unknown;
}

export function parseSnapshots(json: string): EngineSnapshot[] {
  const parsed: unknown = JSON.parse(json.trim() === '' ? '[]' : json);
  if (!Array.isArray(parsed)) throw new BackstopError(ErrorType.engine, 'restic snapshots did not return a list');
  return (parsed as RawSnapshot[]).map((s) => ({
    id: String(s.id),
    time: String(s.time),
    hostname: String(s.hostname ?? ''),
    paths: Array.isArray(s.paths) ? s.paths.map(String) : [],
    tags: Array.isArray(s.tags) ? s.tags.map(String) : [],
  }));
}

/**
 * The snapshot record restic wrote, rebuilt from the backup's own summary so that no
 * second restic process (opening the repository and deriving its key again) is needed.
 * Mirrors restic 0.18: time is backup_start (restic takes both from one clock reading when
 * --time is not given), paths are the targets made absolute and cleaned (filepath.Abs),
 * tags are the --tag values split at commas, trimmed, empty ones dropped.
 * Returns null when the summary cannot vouch for the record: restic 0.14 prints only a
 * short id and no backup_start. A caller that saw a source skipped as missing must not use
 * it either (restic leaves skipped targets out of the snapshot's paths).
 */
export function snapshotFromSummary(summary: Extract<BackupEvent, { kind: 'summary' }>, req: BackupRequest): EngineSnapshot | null {
  if (!/^[0-9a-f]{64}$/.test(summary.snapshotId) || summary.backupStart === null) return null;
  return {
    id: summary.snapshotId,
    time: summary.backupStart,
    hostname: req.host,
    paths: req.paths.map((p) => posix.resolve(p)),
    tags: req.tags.flatMap((t) => t.split(',').map((x) => x.trim())).filter((t) => t !== ''),
  };
}

const SKIPPED = / does not exist, skipping$/;

/** The source path of restic's "<path> does not exist, skipping" warning, or null. */
export function skippedSource(line: string): string | null {
  return SKIPPED.test(line) ? line.replace(SKIPPED, '') : null;
}

/** Unique unreadable items, preferring the absolute path restic reports during archival. */
export function unreadablePaths(events: BackupEvent[]): string[] {
  const items = new Set<string>();
  for (const e of events) if (e.kind === 'error' && e.item) items.add(e.item);
  return [...items].sort();
}

const FAILURE_PATTERNS: ReadonlyArray<[RegExp, ErrorType, string]> = [
  [/wrong password or no key found/i, ErrorType.repositoryAuth, 'wrong repository password'],
  [/unable to open config file|Is there a repository at the following location/i, ErrorType.repositoryMissing, 'no initialised repository at the configured location'],
  // restic 0.14 says "target", 0.18 says "source".
  [/all (?:target|source) directories\/files do not exist/i, ErrorType.sourceMissing, 'none of the paths to back up exist on the agent'],
  [/repository is already locked|unable to create lock/i, ErrorType.repositoryLocked, 'repository is locked by another process'],
  [/config file already exists/i, ErrorType.conflict, 'a repository already exists at that location'],
];

/**
 * Turns a non-zero restic exit into a typed error. The message quotes restic's own
 * last lines (never the environment) so an operator sees what went wrong.
 */
export function classifyFailure(exitCode: number | null, stderr: string, what: string): BackstopError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{'));
  const detail = lines.slice(-3).join('; ');
  for (const [pattern, type, summary] of FAILURE_PATTERNS) {
    if (pattern.test(stderr)) {
      const missing = type === ErrorType.sourceMissing ? stderr.match(/^(.*) does not exist, skipping$/gm) : null;
      const extra = missing ? `: ${missing.map((m) => m.replace(/ does not exist, skipping$/, '')).join(', ')}` : '';
      return new BackstopError(type, `${what}: ${summary}${extra}`, { exitCode, stderr: detail });
    }
  }
  const exit = exitCode === null ? 'was killed' : `exited with code ${exitCode}`;
  return new BackstopError(ErrorType.engine, `${what}: restic ${exit}${detail ? `: ${detail}` : ''}`, { exitCode });
}

// --- restic check ----------------------------------------------------------------------
/** restic check's verdict on a damaged repository (0.14 … 0.18). */
const RESTIC_DAMAGED = /^Fatal: repository contains errors|^The repository is damaged/m;

/**
 * restic check's own words around the problems on stderr: not problems themselves. A damaged
 * pack found by reading data comes with advice (what to repair, where to read first, where to
 * report it), which would otherwise crowd the problem itself out of the failure reason.
 */
const RESTIC_CHECK_CHROME = /^(Fatal: repository contains errors|The repository is damaged|Please follow the troubleshooting|The repository contains damaged pack files|restic repair |Damaged pack files can be caused|\{)/;

/** A stderr line of restic check that names a problem (a missing pack, a bad blob, …). */
export function isResticCheckProblem(line: string): boolean {
  const l = line.trim();
  return l !== '' && !RESTIC_CHECK_CHROME.test(l);
}

/** True when restic check finished and reported the repository damaged (not: could not check it). */
export function resticCheckFoundDamage(stderr: string): boolean {
  return RESTIC_DAMAGED.test(stderr);
}
