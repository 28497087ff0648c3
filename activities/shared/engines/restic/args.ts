// restic command lines as data. The repository and password travel in the environment
// (RESTIC_REPOSITORY / RESTIC_PASSWORD), never in argv where `ps` would show them.
import type { BackupRequest, CheckDataRead } from '../../../../contract/engine';

export function backupArgs(req: BackupRequest): string[] {
  const args = ['backup', '--json', '--host', req.host];
  for (const tag of req.tags) args.push('--tag', tag);
  if (req.stdin) {
    // Everything after `--` is the command restic runs; its stdout becomes the file.
    args.push('--stdin-filename', req.stdin.filename, '--stdin-from-command', '--', ...req.stdin.command);
    return args;
  }
  if (req.ignoreInode || req.segments) args.push('--ignore-inode');
  if (req.segments) {
    args.push('--ignore-ctime');
    if (req.segments.readAll) args.push('--force');
    else if (req.segments.parent) args.push('--parent', req.segments.parent);
  }
  for (const exclude of req.excludes) args.push('--exclude', exclude);
  // `--` keeps a path that starts with '-' from being read as a flag.
  args.push('--', ...req.paths);
  return args;
}

export function snapshotsArgs(tag?: string): string[] {
  return tag === undefined ? ['snapshots', '--json'] : ['snapshots', '--json', '--tag', tag];
}

export function restoreArgs(snapshotId: string, target: string): string[] {
  return ['restore', '--json', snapshotId, '--target', target];
}

export const initArgs = (): string[] => ['init'];
/**
 * `restic check`, and with `read` a random subset of the data packs read back and verified
 * (`--read-data-subset=<n>%`), without restic's own lock when the caller holds the repository
 * beside backups (see CheckDataRead.besideBackups).
 */
export function checkArgs(read?: CheckDataRead): string[] {
  if (!read) return ['check'];
  const args = ['check'];
  if (read.besideBackups) args.push('--no-lock');
  if (read.readDataPercent > 0) args.push(`--read-data-subset=${formatPercent(read.readDataPercent)}%`);
  return args;
}

/** restic reads `x` or `x.y` (at most one decimal is kept; 100 at most). */
export function formatPercent(p: number): string {
  const clamped = Math.min(100, Math.max(0, p));
  return String(Math.round(clamped * 10) / 10);
}
/** Without --remove-all restic removes only stale locks (dead PID on this host, or > 30 min old). */
export const unlockArgs = (): string[] => ['unlock'];
/** Cheapest command that proves the repository exists and the password opens it. */
export const catConfigArgs = (): string[] => ['cat', 'config'];

export function resticEnv(
  url: string,
  password: string,
  extra: Record<string, string> = {},
  cacheDir?: string,
): Record<string, string> {
  const env: Record<string, string> = { ...extra, RESTIC_REPOSITORY: url, RESTIC_PASSWORD: password };
  // Progress lines at 2 per second: enough for a live view, cheap to parse.
  env.RESTIC_PROGRESS_FPS = '2';
  if (cacheDir) env.RESTIC_CACHE_DIR = cacheDir;
  return env;
}
