import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType } from '../../../contract/errors';
import { classifyRcloneFailure, compareListings, describeMismatch, errorLines, parseListing, parseSyncLine } from './parse';
import type { SyncStats } from '../../../contract/sync-activities';

// Captured from rclone 1.75.2 against SeaweedFS 4.48: a first sync of 14 objects under an
// 8 MiB/s limit, a second sync after one file was removed and one added, a sync with a
// wrong secret key, and `lsjson -R --files-only` of both sides.
const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const statsOf = (name: string): SyncStats[] =>
  lines(fixture(name))
    .map(parseSyncLine)
    .flatMap((e) => (e.kind === 'stats' ? [e.stats] : []));

describe('parseSyncLine', () => {
  it('reads running totals once a second, the last line being the summary', () => {
    const stats = statsOf('sync-progress.jsonl');
    expect(stats.length).toBeGreaterThanOrEqual(3);
    expect(stats[0]!.bytes).toBeGreaterThan(0);
    expect(stats[0]!.bytes).toBeLessThan(stats[0]!.totalBytes);
    expect(stats.at(-1)).toEqual({
      bytes: 25165834,
      totalBytes: 25165834,
      transfers: 14,
      totalTransfers: 14,
      checks: 0,
      deletes: 0,
      errors: 0,
      listed: 16,
      elapsedSeconds: 3.020035431,
    });
  });

  it('counts objects already in the bucket as checks, not transfers (the resume)', () => {
    expect(statsOf('sync-resume.jsonl').at(-1)).toMatchObject({ transfers: 1, checks: 14, deletes: 1, errors: 0 });
  });

  it('reads log lines and leaves anything else as other', () => {
    expect(parseSyncLine('{"level":"error","msg":"boom "}')).toEqual({ kind: 'log', level: 'error', message: 'boom' });
    expect(parseSyncLine('plain text')).toEqual({ kind: 'other', line: 'plain text' });
    expect(parseSyncLine('[1]')).toEqual({ kind: 'other', line: '[1]' });
  });
});

describe('classifyRcloneFailure', () => {
  it('makes refused credentials a non-retryable configuration error', () => {
    const events = lines(fixture('sync-auth-failure.jsonl')).map(parseSyncLine);
    const err = classifyRcloneFailure(1, errorLines(events), 'rclone sync');
    expect(err.type).toBe(ErrorType.input);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('rclone sync: the S3 service refused the access key or secret key');
  });

  const cases: Array<[string, ErrorType, boolean]> = [
    ['api error NoSuchBucket: The specified bucket does not exist', ErrorType.input, false],
    ['api error AccessDenied: Access Denied.', ErrorType.input, false],
    ['error reading source root directory: directory not found', ErrorType.repositoryMissing, false],
    ['dial tcp 127.0.0.1:1: connect: connection refused', ErrorType.engine, true],
  ];
  it.each(cases)('classifies %j', (line, type, retryable) => {
    const err = classifyRcloneFailure(5, [line], 'rclone sync');
    expect(err.type).toBe(type);
    expect(err.retryable).toBe(retryable);
  });

  it('says when rclone was killed', () => {
    expect(classifyRcloneFailure(null, [], 'rclone sync').message).toBe('rclone sync: rclone was killed');
  });
});

describe('parseListing and compareListings', () => {
  it('finds a mirror equal when paths and sizes match', () => {
    const local = parseListing(fixture('lsjson-local.json'));
    const remote = parseListing(fixture('lsjson-remote.json'));
    expect(local.length).toBe(14);
    expect(local.find((o) => o.path === 'sub/f13')).toEqual({ path: 'sub/f13', size: 3000 });
    const c = compareListings(local, remote);
    expect(c).toMatchObject({ ok: true, localObjects: 14, remoteObjects: 14, missing: [], sizeMismatch: [], extra: [] });
    expect(c.localBytes).toBe(local.reduce((n, o) => n + o.size, 0));
    expect(describeMismatch(c)).toBe('verification passed');
  });

  it('reports missing, resized and extra objects', () => {
    const c = compareListings(
      [{ path: 'data/aa', size: 10 }, { path: 'data/bb', size: 20 }, { path: 'config', size: 5 }],
      [{ path: 'data/bb', size: 19 }, { path: 'config', size: 5 }, { path: 'data/zz', size: 1 }],
    );
    expect(c).toMatchObject({ ok: false, missing: ['data/aa'], sizeMismatch: [{ path: 'data/bb', local: 20, remote: 19 }], extra: ['data/zz'] });
    expect(describeMismatch(c)).toBe(
      'verification failed: 1 missing from the bucket (data/aa); 1 with a different size (data/bb); 1 in the bucket only (data/zz)',
    );
  });

  it('skips directories and rejects non-lists', () => {
    expect(parseListing('[{"Path":"d","Size":-1,"IsDir":true}]')).toEqual([]);
    expect(parseListing('')).toEqual([]);
    expect(() => parseListing('{}')).toThrow(/list/);
  });
});
