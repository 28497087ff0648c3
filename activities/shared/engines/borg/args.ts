// borg command lines as data. The passphrase travels only in the environment
// (BORG_PASSPHRASE), never in argv where `ps` would show it.
import { posix } from 'node:path';
import type { BackupRequest, CheckDataRead, RepositoryAccess } from '../../../../contract/engine';
import { UnsupportedByEngineError } from '../../../../contract/errors';
import { archiveComment, archiveName, escapePlaceholders } from './names';

/** How long a command waits for a lock held by a live process before failing as RepositoryLocked. */
export const LOCK_WAIT_SECONDS = 10;

/**
 * The environment of every borg process. TZ=UTC: borg prints naive local times, which then
 * read as UTC. BORG_HOSTNAME_IS_UNIQUE=yes: borg removes a lock whose holder ran on this host
 * and whose PID is gone (the only stale locks Backstop breaks). The two *_IS_OK=no refuse a
 * moved repository or an unencrypted one instead of asking on a terminal nobody reads.
 */
export function borgEnv(repo: Pick<RepositoryAccess, 'password' | 'env'>, baseDir?: string): Record<string, string> {
  const env: Record<string, string> = {
    ...repo.env,
    BORG_PASSPHRASE: repo.password,
    TZ: 'UTC',
    BORG_HOSTNAME_IS_UNIQUE: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'no',
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'no',
    // Answer any other question borg would ask with its default "no" rather than hang.
    BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'NO',
    BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: 'NO',
  };
  if (baseDir) env.BORG_BASE_DIR = baseDir;
  return env;
}

/**
 * The repository as borg's argument. A relative local path is made absolute: restores run
 * borg with the restore target as working directory.
 */
export function repoLocation(url: string): string {
  if (url.includes('://') || /^[^/]+:/.test(url)) return url;
  return posix.resolve(url);
}

export function archiveRef(url: string, name: string): string {
  return `${repoLocation(url)}::${name}`;
}

/** Flags every command gets: errors as JSON lines on stderr, and a bounded wait for a live lock. */
export const commonFlags = (): string[] => ['--log-json', '--lock-wait', String(LOCK_WAIT_SECONDS)];

export const initArgs = (url: string): string[] => ['init', ...commonFlags(), '--encryption=repokey-blake2', repoLocation(url)];

/** Cheapest command that proves the repository exists and the passphrase opens it. */
export const verifyArgs = (url: string): string[] => ['info', '--json', ...commonFlags(), repoLocation(url)];

/**
 * Every archive, with the comment that carries Backstop's tags (with --json the format's
 * keys are added to each archive object). Checkpoint archives stay hidden, as borg's default.
 */
export const listArchivesArgs = (url: string): string[] => ['list', '--json', ...commonFlags(), '--format', '{name}{id}{time}{hostname}{comment}', repoLocation(url)];

/**
 * Opens the repository under a shared lock with a short wait: taking a lock is when borg
 * (with BORG_HOSTNAME_IS_UNIQUE) removes locks of dead processes on this host. A lock of a
 * live process stays: the command then only times out.
 */
export const unlockStaleArgs = (url: string): string[] => ['list', '--log-json', '--lock-wait', '1', '--last', '1', '--short', repoLocation(url)];

/**
 * `borg check`: the repository (segments' checksums) and the archives' metadata; with `read`,
 * also the data of the newest archives, decrypted and verified (`--verify-data --last <n>`).
 * borg has no random subset of the data: the bound is the archives.
 */
export function checkArgs(url: string, read?: CheckDataRead): string[] {
  const verify = read ? ['--verify-data', '--last', String(Math.max(1, Math.floor(read.lastArchives)))] : [];
  return ['check', ...commonFlags(), ...verify, repoLocation(url)];
}

/** `-v`: compact reports what it freed only at info level. */
export const compactArgs = (url: string): string[] => ['compact', ...commonFlags(), '-v', repoLocation(url)];

export function deleteArgs(url: string, names: string[]): string[] {
  return ['delete', ...commonFlags(), repoLocation(url), ...names];
}

/**
 * A restic exclude pattern as a borg one. borg matches patterns against the path without its
 * leading '/', from the start of the path; restic matches a pattern without a leading '/'
 * against the end of the path (any directory). Both let a pattern that matches a directory
 * exclude everything below it. So:
 *   /abs/path, /abs/*.log  → sh:abs/path, sh:abs/*.log   (sh: '*' stays within one component, as restic's)
 *   *.log, cache/tmp       → sh:**\/*.log, sh:**\/cache/tmp
 * restic's negation ('!pattern') has no borg --exclude counterpart and is refused; so are
 * environment variables ($HOME), which restic expands and borg would take literally.
 */
export function borgExclude(pattern: string): string {
  if (pattern.startsWith('!')) throw new UnsupportedByEngineError('borg', `exclude '${pattern}'`, 'borg has no negated exclude patterns');
  if (pattern.includes('$')) throw new UnsupportedByEngineError('borg', `exclude '${pattern}'`, 'borg does not expand environment variables in patterns');
  const trimmed = pattern.length > 1 ? pattern.replace(/\/+$/, '') : pattern;
  if (trimmed.startsWith('/')) return `sh:${trimmed.replace(/^\/+/, '')}`;
  return `sh:**/${trimmed}`;
}

/**
 * `borg create`: --json prints the archive and its stats on stdout at the end; --progress
 * with --log-json prints `archive_progress` lines on stderr; --list prints one `file_status`
 * line per item (A added, M modified, U unchanged, E unreadable), counted into the stats.
 */
export function createArgs(url: string, req: BackupRequest): string[] {
  const args = ['create', '--json', '--progress', '--list', ...commonFlags()];
  args.push('--comment', escapePlaceholders(archiveComment(req.tags, req.host, snapshotPaths(req))));
  const target = archiveRef(url, archiveName(req.tags));
  if (req.stdin) {
    // borg stores the stream under the name as given; a leading '/' would only be stripped.
    args.push('--content-from-command', '--stdin-name', stdinName(req.stdin.filename), target, '--', ...req.stdin.command);
    return args;
  }
  // Without the inode in the files cache, a FUSE source with unstable inode numbers still
  // counts unchanged files as unchanged.
  // A guest disk's segments: borg has no parent to name — its files cache (local to this
  // machine) is what carries unchanged segments over, and the caller checks that it did. A
  // full read keeps the cache on too (disabled, it would not be written, and the next
  // incremental would find nothing to carry over): its segments all carry a new mtime, one no
  // earlier attempt on this agent used (guest-backup.ts), so no cached entry can match them.
  if (req.ignoreInode || req.segments) args.push('--files-cache', 'mtime,size');
  for (const exclude of req.excludes) args.push('--exclude', borgExclude(exclude));
  // `--` keeps a path that starts with '-' from being read as a flag.
  args.push(target, '--', ...req.paths);
  return args;
}

export function stdinName(filename: string): string {
  return filename.replace(/^\/+/, '');
}

/** The paths the snapshot records: absolute, as restic shows them; a stream as `/<filename>`. */
export function snapshotPaths(req: Pick<BackupRequest, 'paths' | 'stdin'>): string[] {
  if (req.stdin) return [`/${stdinName(req.stdin.filename)}`];
  return req.paths.map((p) => posix.resolve(p));
}
