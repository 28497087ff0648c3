// rclone command lines as data. The S3 target is an on-the-fly remote defined only in the
// environment (RCLONE_CONFIG_BACKSTOP_*), so the keys never reach argv where `ps` shows
// them, and RCLONE_CONFIG=/dev/null keeps any user config file out of the picture.

/** Where and how to mirror a repository; the keys travel in the environment only. */
export interface SyncTargetAccess {
  /** http(s)://host[:port] of the S3-compatible service. */
  endpoint: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slashes; '' for the root. */
  prefix: string;
  region: string | null;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SyncOptions {
  /** rclone --bwlimit syntax, e.g. "10M" (bytes per second). */
  bandwidthLimit: string | null;
  /** Parallel uploads (rclone --transfers). */
  transfers: number | null;
  /** Compare by MD5 instead of size and modification time. */
  checksum: boolean;
  /**
   * A marker put on the command line (as the HTTP user agent) so a later attempt can tell
   * a leftover rclone of this run from an unrelated process that reused its PID.
   */
  marker?: string;
}

/** The name of the on-the-fly remote; `RCLONE_CONFIG_<NAME>_*` defines it. */
export const REMOTE = 'backstop';
const ENV_PREFIX = `RCLONE_CONFIG_${REMOTE.toUpperCase()}_`;

/**
 * Restic's lock files are transient and name a host that is not the bucket's reader: a
 * copy of them would only make restic pointed at the bucket wait for dead locks.
 */
export const EXCLUDES = ['/locks/**'];

export function rcloneEnv(target: SyncTargetAccess): Record<string, string> {
  return {
    RCLONE_CONFIG: '/dev/null',
    [`${ENV_PREFIX}TYPE`]: 's3',
    [`${ENV_PREFIX}PROVIDER`]: 'Other',
    [`${ENV_PREFIX}ENV_AUTH`]: 'false',
    [`${ENV_PREFIX}ENDPOINT`]: target.endpoint,
    [`${ENV_PREFIX}REGION`]: target.region ?? 'us-east-1',
    [`${ENV_PREFIX}ACCESS_KEY_ID`]: target.accessKeyId,
    [`${ENV_PREFIX}SECRET_ACCESS_KEY`]: target.secretAccessKey,
  };
}

/**
 * `backstop:<bucket>/<prefix>/`. The trailing slash matters: without it rclone first asks
 * whether the path is a single object, and a refused request then reads as "is a file not
 * a directory" instead of the real S3 error.
 */
export function remotePath(target: Pick<SyncTargetAccess, 'bucket' | 'prefix'>): string {
  const prefix = target.prefix.replace(/^\/+|\/+$/g, '');
  return `${REMOTE}:${target.bucket}/${prefix === '' ? '' : `${prefix}/`}`;
}

/** A local directory as rclone's source, with the trailing slash rclone expects. */
export function localPath(dir: string): string {
  return dir.endsWith('/') ? dir : `${dir}/`;
}

/** Flags that decide what is copied and how; the benchmark gives plain rclone the same. */
export function transferFlags(opts: SyncOptions): string[] {
  const args: string[] = [];
  for (const e of EXCLUDES) args.push('--exclude', e);
  if (opts.transfers !== null) args.push('--transfers', String(opts.transfers));
  if (opts.bandwidthLimit !== null) args.push('--bwlimit', opts.bandwidthLimit);
  if (opts.checksum) args.push('--checksum');
  return args;
}

/**
 * One incremental mirror: objects already in the bucket with the same size and
 * modification time (or MD5 with checksum) are skipped, which is what makes a retried
 * attempt resume instead of starting over. Stats come as one JSON line a second.
 */
export function syncArgs(sourceDir: string, target: Pick<SyncTargetAccess, 'bucket' | 'prefix'>, opts: SyncOptions): string[] {
  const args = ['sync', localPath(sourceDir), remotePath(target), '--use-json-log', '--stats', '1s', '--stats-log-level', 'NOTICE'];
  args.push(...transferFlags(opts));
  if (opts.marker) args.push('--user-agent', opts.marker);
  return args;
}

/**
 * Every object under a location with its size, as one JSON list. --fast-list reads a bucket
 * with one recursive listing instead of one request per "directory" (a restic repository has
 * 256 under data/ alone); a local directory ignores it.
 */
export function listArgs(location: string): string[] {
  return ['lsjson', '-R', '--files-only', '--fast-list', '--use-json-log', ...EXCLUDES.flatMap((e) => ['--exclude', e]), location];
}
