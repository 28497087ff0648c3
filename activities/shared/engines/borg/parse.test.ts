import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType, NotFoundError } from '../../../../contract/errors';
import { archiveExists, backupProgress, classifyFailure, countFile, emptyCounts, isoTime, parseArchiveList, parseCreateOutput, parseEvent, resolveArchive, warningPath } from './parse';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');

describe('create output', () => {
  test('progress, file statuses and the --json stats of a real create', () => {
    const counts = emptyCounts();
    const progress = [];
    for (const line of fixture('create.stderr.jsonl').split('\n')) {
      const e = parseEvent(line);
      if (e.kind === 'progress' && !e.finished) progress.push(backupProgress(e, 1));
      if (e.kind === 'file') countFile(counts, e);
    }
    expect(progress[0]).toEqual({ percent: 0, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, currentFile: '/tmp/bx/src', secondsElapsed: 1 });
    expect(progress.some((p) => p.bytesDone > 0)).toBe(true);
    expect(counts).toEqual({ added: 3, modified: 0, unchanged: 3, errors: [] });
    const created = parseCreateOutput(fixture('create.stdout.json'), counts);
    expect(created.id).toMatch(/^[0-9a-f]{64}$/);
    expect(created.name).toBe('backstop-job=3.backstop-run=backup_3_x');
    expect(created.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created.stats).toMatchObject({ filesNew: 3, filesUnmodified: 3, dirsNew: 0 });
    expect(created.stats.totalFilesProcessed).toBeGreaterThan(0);
    expect(created.stats.totalBytesProcessed).toBeGreaterThan(30_000_000);
  });

  test('unreadable files: E statuses and the WARNING lines name them', () => {
    const counts = emptyCounts();
    const warned: string[] = [];
    for (const line of fixture('create-unreadable.stderr.jsonl').split('\n')) {
      const e = parseEvent(line);
      if (e.kind === 'file') countFile(counts, e);
      if (e.kind === 'log' && e.level === 'WARNING') warned.push(warningPath(e.message)!);
    }
    expect(counts.errors).toEqual(['/tmp/bn/src/secret', '/tmp/bn/src/closed']);
    expect(warned).toEqual(['/tmp/bn/src/secret', '/tmp/bn/src/closed']);
    expect(parseCreateOutput(fixture('create-unreadable.stdout.json'), counts).stats.filesNew).toBe(1);
  });

  test('no archive in the output is an engine error', () => {
    expect(() => parseCreateOutput('{}', emptyCounts())).toThrow(/no archive/);
  });
});

describe('archive list', () => {
  const archives = parseArchiveList(fixture('list.json'));

  test("Backstop's comment gives tags, host and paths; other archives have none", () => {
    const ours = archives.find((a) => a.name === 'backstop-job=3.backstop-run=backup_3_x')!;
    expect(ours.snapshot).toMatchObject({ hostname: 'h1', paths: ['/tmp/bx/src'], tags: ['backstop-run=backup/3/x', 'backstop-job=3'] });
    const theirs = archives.find((a) => a.name === 'n2')!;
    expect(theirs.snapshot).toMatchObject({ hostname: 'vm', paths: [], tags: [] });
    expect(theirs.snapshot.time).toBe('2026-12-03T00:40:46.000Z');
  });

  test('ids resolve exactly or by a unique prefix of 8+ hex digits; anything else is NotFound', () => {
    const one = archives[0]!;
    expect(resolveArchive(archives, one.snapshot.id)).toBe(one);
    expect(resolveArchive(archives, one.snapshot.id.slice(0, 8).toUpperCase())).toBe(one);
    expect(() => resolveArchive(archives, one.snapshot.id.slice(0, 7))).toThrow(NotFoundError);
    expect(() => resolveArchive(archives, 'n2')).toThrow(NotFoundError);
    expect(() => resolveArchive(archives, 'f'.repeat(64))).toThrow(NotFoundError);
  });
});

describe('classifyFailure', () => {
  const lines = fixture('errors.stderr.jsonl').split('\n');

  test.each([
    [0, ErrorType.repositoryAuth],
    [1, ErrorType.repositoryMissing],
    [2, ErrorType.repositoryMissing],
    [3, ErrorType.repositoryLocked],
    [4, ErrorType.engine],
  ])('error line %i is %s', (i, type) => {
    expect(classifyFailure(2, lines[i]!, 'borg x').type).toBe(type);
  });

  test("the message quotes borg's words", () => {
    expect(classifyFailure(2, lines[4]!, 'borg create').message).toBe("borg create: borg exited with code 2: Command 'sh' exited with status 3");
    expect(classifyFailure(null, '', 'borg create').message).toBe('borg create: borg was killed');
  });

  test('an archive name already taken', () => {
    expect(archiveExists('{"type": "log_message", "levelname": "ERROR", "msgid": "Archive.AlreadyExists", "message": "Archive x already exists"}')).toBe(true);
    expect(archiveExists(lines[4]!)).toBe(false);
  });
});

test('naive borg times read as UTC', () => {
  expect(isoTime('2026-12-03T00:40:37.000000')).toBe('2026-12-03T00:40:37.000Z');
  expect(isoTime('2026-12-03T00:40:37Z')).toBe('2026-12-03T00:40:37.000Z');
});
