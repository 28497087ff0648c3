// Parsers for rclone's JSON log lines and `lsjson` listings, and the comparison that
// verifies a mirror. Pure, tested on output captured from rclone 1.75 against SeaweedFS.
import { BackstopError, ErrorType } from '../../../contract/errors';
import { num, parseObject } from '../../shared/json-lines';
import type { ListingComparison, SyncStats } from '../../../contract/sync-activities';

export type SyncEvent =
  | { kind: 'stats'; stats: SyncStats }
  | { kind: 'log'; level: string; message: string }
  | { kind: 'other'; line: string };


export function parseSyncLine(line: string): SyncEvent {
  const msg = parseObject(line);
  if (!msg) return { kind: 'other', line };
  const s = msg.stats;
  if (typeof s === 'object' && s !== null) {
    const st = s as Record<string, unknown>;
    return {
      kind: 'stats',
      stats: {
        bytes: num(st.bytes),
        totalBytes: num(st.totalBytes),
        transfers: num(st.transfers),
        totalTransfers: num(st.totalTransfers),
        checks: num(st.checks),
        deletes: num(st.deletes),
        errors: num(st.errors),
        listed: num(st.listed),
        elapsedSeconds: num(st.elapsedTime),
      },
    };
  }
  if (typeof msg.msg === 'string') return { kind: 'log', level: String(msg.level ?? ''), message: msg.msg.trim() };
  return { kind: 'other', line };
}

export interface ListedObject {
  path: string;
  size: number;
}

/** `rclone lsjson -R --files-only` output: directories are skipped if any slip through. */
export function parseListing(json: string): ListedObject[] {
  const parsed: unknown = JSON.parse(json.trim() === '' ? '[]' : json);
  if (!Array.isArray(parsed)) throw new BackstopError(ErrorType.engine, 'rclone lsjson did not return a list');
  return (parsed as Array<Record<string, unknown>>)
    .filter((o) => o.IsDir !== true)
    .map((o) => ({ path: String(o.Path), size: num(o.Size) }));
}

/** The bucket mirrors the repository when both list the same paths with the same sizes. */
export function compareListings(local: ListedObject[], remote: ListedObject[]): ListingComparison {
  const remoteSizes = new Map(remote.map((o) => [o.path, o.size]));
  const localPaths = new Set(local.map((o) => o.path));
  const missing: string[] = [];
  const sizeMismatch: ListingComparison['sizeMismatch'] = [];
  for (const o of local) {
    const size = remoteSizes.get(o.path);
    if (size === undefined) missing.push(o.path);
    else if (size !== o.size) sizeMismatch.push({ path: o.path, local: o.size, remote: size });
  }
  const extra = remote.filter((o) => !localPaths.has(o.path)).map((o) => o.path);
  return {
    ok: missing.length === 0 && sizeMismatch.length === 0 && extra.length === 0,
    localObjects: local.length,
    localBytes: local.reduce((n, o) => n + o.size, 0),
    remoteObjects: remote.length,
    missing: missing.sort(),
    sizeMismatch: sizeMismatch.sort((a, b) => a.path.localeCompare(b.path)),
    extra: extra.sort(),
  };
}

/** One line for the run record: what differs, with a few examples. */
export function describeMismatch(c: ListingComparison, examples = 3): string {
  const parts: string[] = [];
  const ex = (paths: string[]) => `${paths.slice(0, examples).join(', ')}${paths.length > examples ? ', …' : ''}`;
  if (c.missing.length) parts.push(`${c.missing.length} missing from the bucket (${ex(c.missing)})`);
  if (c.sizeMismatch.length) parts.push(`${c.sizeMismatch.length} with a different size (${ex(c.sizeMismatch.map((m) => m.path))})`);
  if (c.extra.length) parts.push(`${c.extra.length} in the bucket only (${ex(c.extra)})`);
  return parts.length ? `verification failed: ${parts.join('; ')}` : 'verification passed';
}

const FAILURE_PATTERNS: ReadonlyArray<[RegExp, ErrorType, string]> = [
  [/SignatureDoesNotMatch|InvalidAccessKeyId|InvalidClientTokenId/i, ErrorType.input, 'the S3 service refused the access key or secret key'],
  [/AccessDenied|StatusCode: 403/i, ErrorType.input, 'the S3 service denied access to the bucket'],
  [/NoSuchBucket/i, ErrorType.input, 'the bucket does not exist'],
  [/directory not found|no such file or directory/i, ErrorType.repositoryMissing, 'the repository directory does not exist on the server'],
];

/**
 * Turns a failed rclone run into a typed error: refused credentials or a missing bucket
 * are configuration errors (no retry helps); anything else (network, a 5xx) may pass on
 * a retry. The message quotes rclone's last error lines, never its environment.
 */
export function classifyRcloneFailure(exitCode: number | null, errorLines: string[], what: string): BackstopError {
  const text = errorLines.join('\n');
  const detail = errorLines.slice(-2).join('; ');
  for (const [pattern, type, summary] of FAILURE_PATTERNS) {
    if (pattern.test(text)) return new BackstopError(type, `${what}: ${summary}`, { exitCode, detail });
  }
  const exit = exitCode === null ? 'was killed' : `exited with code ${exitCode}`;
  return new BackstopError(ErrorType.engine, `${what}: rclone ${exit}${detail ? `: ${detail}` : ''}`, { exitCode });
}

/** The lines worth quoting from a run's log: errors and the final notice. */
export function errorLines(events: SyncEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === 'log' && (e.level === 'error' || e.level === 'critical' || /^Failed to /.test(e.message))) out.push(e.message);
    else if (e.kind === 'other' && e.line.trim() !== '') out.push(e.line.trim());
  }
  return out;
}
