import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType } from '../../../../contract/errors';
import { classifyFailure, parseBackupLine, parseSnapshots, skippedSource, snapshotFromSummary, unreadablePaths } from './parse';

// Captured from restic 0.14 (Debian 12): a 90 MB backup, and a backup by an unprivileged
// user with an unreadable file and directory (exit code 3).
const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('parseBackupLine', () => {
  it('reads progress from status lines', () => {
    const events = lines(fixture('backup-progress.jsonl')).map(parseBackupLine);
    const status = events.filter((e) => e.kind === 'status');
    expect(status.length).toBeGreaterThan(3);
    const mid = status.find((e) => e.kind === 'status' && e.progress.filesDone === 7);
    expect(mid).toEqual({
      kind: 'status',
      progress: {
        percent: 24.45,
        filesDone: 7,
        filesTotal: 30,
        bytesDone: 22000897,
        bytesTotal: 90000000,
        currentFile: '/big/b16',
        secondsElapsed: 0,
      },
    });
  });

  it('reads the summary', () => {
    const summary = lines(fixture('backup-progress.jsonl')).map(parseBackupLine).find((e) => e.kind === 'summary');
    expect(summary).toMatchObject({ kind: 'summary', stats: { filesNew: 30, totalBytesProcessed: 90000000 } });
    expect(summary?.kind === 'summary' && summary.snapshotId).toMatch(/^[0-9a-f]{8,}$/);
  });

  it('reads per-file errors, including the empty error objects of restic 0.14', () => {
    const events = lines(fixture('backup-partial.stderr.txt')).map(parseBackupLine);
    expect(events.filter((e) => e.kind === 'error')).toHaveLength(3);
    expect(events.at(-1)).toEqual({ kind: 'other', line: 'Warning: at least one source file could not be read' });
    expect(unreadablePaths(events)).toEqual(['/tmp/rt/src/locked', '/tmp/rt/src/unreadable.txt', 'src/locked']);
    const openErr = events.find((e) => e.kind === 'error' && e.item.endsWith('unreadable.txt'));
    expect(openErr).toMatchObject({ message: 'open failed (errno 13)', during: 'archival' });
  });

  it('treats non-JSON and non-object lines as other', () => {
    expect(parseBackupLine('not json')).toEqual({ kind: 'other', line: 'not json' });
    expect(parseBackupLine('42')).toEqual({ kind: 'other', line: '42' });
    expect(parseBackupLine('{"message_type":"verbose_status"}').kind).toBe('other');
  });
});

describe('parseSnapshots', () => {
  it('reads snapshot lists', () => {
    const snaps = parseSnapshots(fixture('snapshots.json'));
    expect(snaps.length).toBeGreaterThanOrEqual(1);
    expect(snaps[0]).toMatchObject({ tags: ['bs-wf=backup/1/2026-11-22T10:00:00Z'], paths: ['/tmp/rt/src'] });
    expect(snaps[0]!.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads an empty result', () => {
    expect(parseSnapshots('[]')).toEqual([]);
    expect(parseSnapshots('')).toEqual([]);
  });

  it('rejects non-lists', () => {
    expect(() => parseSnapshots('{}')).toThrow(/list/);
  });
});

describe('classifyFailure', () => {
  const cases: Array<[string, ErrorType, RegExp]> = [
    ['Fatal: wrong password or no key found\n', ErrorType.repositoryAuth, /wrong repository password/],
    [
      'Fatal: unable to open config file: stat /tmp/norepo/config: no such file or directory\nIs there a repository at the following location?\n/tmp/norepo\n',
      ErrorType.repositoryMissing,
      /no initialised repository/,
    ],
    [
      '/nonexistent/path does not exist, skipping\nFatal: all target directories/files do not exist\n',
      ErrorType.sourceMissing,
      /paths to back up exist on the agent: \/nonexistent\/path/,
    ],
    ['Fatal: unable to create lock in backend: repository is already locked by PID 12 on h by root\n', ErrorType.repositoryLocked, /locked/],
    ['Fatal: unable to save snapshot: connection reset\n', ErrorType.engine, /exited with code 1: Fatal: unable to save snapshot/],
  ];
  it.each(cases)('classifies %j', (stderr, type, message) => {
    const err = classifyFailure(1, stderr, 'restic backup');
    expect(err.type).toBe(type);
    expect(err.message).toMatch(message);
  });

  it('marks configuration errors non-retryable and I/O errors retryable', () => {
    expect(classifyFailure(1, 'Fatal: wrong password or no key found', 'x').retryable).toBe(false);
    expect(classifyFailure(1, 'Fatal: disk full', 'x').retryable).toBe(true);
    expect(classifyFailure(null, '', 'x').message).toBe('x: restic was killed');
  });
});

// Captured from restic 0.18.1 (the build in .tools/bin): a backup of `/tmp/rt18/src/` with
// two tags, the `snapshots --json --tag` listing of the snapshot it wrote, and backups with
// one and with every source path missing.
describe('restic 0.18 backups', () => {
  const req = { paths: ['/tmp/rt18/src/'], excludes: [], tags: ['backstop-run=backup/1/2026-11-22T10:00:00Z', 'backstop-job=1'], host: 'vm' };
  const summaryOf = (name: string) => {
    const s = lines(fixture(name)).map(parseBackupLine).find((e) => e.kind === 'summary');
    if (s?.kind !== 'summary') throw new Error(`no summary in ${name}`);
    return s;
  };

  it('reads the full snapshot id and backup_start from the summary', () => {
    expect(summaryOf('backup-summary-0.18.jsonl')).toMatchObject({
      snapshotId: '0da25397c9e9249ece5fbc843bdafd89f14468f11ebf6bdd35dc57ab6f9aae42',
      backupStart: '2026-11-23T09:30:29.794992037Z',
      stats: { filesNew: 6, dirsNew: 4, totalBytesProcessed: 750003 },
    });
  });

  it('rebuilds from the summary exactly the record restic lists for that snapshot', () => {
    const listed = parseSnapshots(fixture('snapshots-0.18.json'));
    expect(listed).toHaveLength(1);
    expect(snapshotFromSummary(summaryOf('backup-summary-0.18.jsonl'), req)).toEqual(listed[0]);
  });

  it('splits tags at commas and cleans paths the way restic does', () => {
    const s = summaryOf('backup-summary-0.18.jsonl');
    const snap = snapshotFromSummary(s, { ...req, paths: ['/a//b/./c/', '/d/../e'], tags: ['x, y', '', 'z'] });
    expect(snap).toMatchObject({ paths: ['/a/b/c', '/e'], tags: ['x', 'y', 'z'] });
  });

  it('gives no record for a restic 0.14 summary (short id, no backup_start)', () => {
    const old = summaryOf('backup-progress.jsonl');
    expect(old.backupStart).toBeNull();
    expect(snapshotFromSummary(old, req)).toBeNull();
    expect(snapshotFromSummary({ ...summaryOf('backup-summary-0.18.jsonl'), snapshotId: '0da25397' }, req)).toBeNull();
  });

  it('recognises a source path skipped as missing', () => {
    expect(lines(fixture('backup-skipped-0.18.stderr.txt')).map(skippedSource)).toEqual(['/tmp/rt18/nope']);
    expect(skippedSource('{"message_type":"status"}')).toBeNull();
  });

  it('classifies "all source directories/files do not exist" as missing sources', () => {
    const err = classifyFailure(1, fixture('backup-missing-0.18.stderr.txt'), 'restic backup');
    expect(err.type).toBe(ErrorType.sourceMissing);
    expect(err.message).toBe('restic backup: none of the paths to back up exist on the agent: /tmp/rt18/nope, /tmp/rt18/nope2');
    expect(err.retryable).toBe(false);
  });
});
