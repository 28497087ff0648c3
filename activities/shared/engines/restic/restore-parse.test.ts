import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WRITING_ACTIONS, missingInSnapshot, parseLsOutput, parseRestoreLine, plainStderr, posixMode } from './restore-parse';

// Captured from restic 0.18.1: a restore of a 30 MB snapshot, a second restore into the same
// target with --overwrite if-newer --verify, and `ls --json` of a directory, the root, a
// file and a missing path.
const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('parseRestoreLine', () => {
  it('reads progress from status lines', () => {
    const events = lines(fixture('restore-progress.jsonl')).map(parseRestoreLine);
    const status = events.filter((e) => e.kind === 'status');
    expect(status).toHaveLength(5);
    expect(status[1]).toEqual({
      kind: 'status',
      progress: { percent: 55.56, filesDone: 3, filesTotal: 8, bytesDone: 16669553, bytesTotal: 30005014, currentFile: null, secondsElapsed: 0 },
    });
  });

  it('reads the summary, counting omitted counters as zero', () => {
    const summary = lines(fixture('restore-progress.jsonl')).map(parseRestoreLine).at(-1);
    expect(summary).toEqual({
      kind: 'summary',
      summary: { filesTotal: 8, filesRestored: 10, filesSkipped: 0, filesDeleted: 0, bytesTotal: 30005014, bytesRestored: 30005014, bytesSkipped: 0 },
    });
  });

  it('reads skipped files of a second restore into the same target', () => {
    const [summary] = lines(fixture('restore-skipped.jsonl')).map(parseRestoreLine);
    expect(summary).toMatchObject({ kind: 'summary', summary: { filesSkipped: 5, bytesSkipped: 30005014, bytesRestored: 0 } });
  });

  // restic 0.18.1 `restore --dry-run -vv --json --overwrite if-newer` into a target where
  // f1 is an older local edit, f2 is missing and big is already correct.
  it('reads the per-item plan of a dry run', () => {
    const planned = lines(fixture('restore-dry-run.jsonl')).map(parseRestoreLine).filter((e) => e.kind === 'planned');
    expect(planned).toEqual([
      { kind: 'planned', action: 'updated', item: '/src/a/f1', size: 4 },
      { kind: 'planned', action: 'restored', item: '/src/a/f2', size: 4 },
      { kind: 'planned', action: 'unchanged', item: '/src/big', size: 100000 },
      { kind: 'planned', action: 'restored', item: '/src/a', size: 0 },
      { kind: 'planned', action: 'restored', item: '/src/lnk', size: 0 },
      { kind: 'planned', action: 'restored', item: '/src', size: 0 },
    ]);
    expect(planned.filter((e) => WRITING_ACTIONS.has(e.action)).map((e) => e.item)).toEqual(['/src/a/f1', '/src/a/f2', '/src/a', '/src/lnk', '/src']);
  });

  it('leaves other lines alone', () => {
    expect(parseRestoreLine('not json')).toEqual({ kind: 'other', line: 'not json' });
    expect(parseRestoreLine('[1]')).toEqual({ kind: 'other', line: '[1]' });
  });
});

describe('parseLsOutput', () => {
  it('splits a directory into its own node and its direct children', () => {
    const listing = parseLsOutput(lines(fixture('ls-dir.jsonl')), '/tmp/rfx/src/sub');
    expect(listing?.node).toMatchObject({ name: 'sub', type: 'dir', mode: 0o755, size: null });
    expect(listing?.children.map((c) => [c.name, c.type, c.size])).toEqual([
      ['data.json', 'file', 8],
      ['deeper', 'dir', null],
      ['link', 'symlink', null],
    ]);
    expect(listing?.children[0]).toEqual({
      name: 'data.json',
      path: '/tmp/rfx/src/sub/data.json',
      type: 'file',
      size: 8,
      mtime: '2026-11-23T09:27:38.468835913Z',
      mode: 0o600,
      permissions: '-rw-------',
      uid: 0,
      gid: 0,
    });
  });

  it('lists the root, which has no node of its own', () => {
    const listing = parseLsOutput(lines(fixture('ls-root.jsonl')), '/');
    expect(listing).toMatchObject({ node: null, children: [{ name: 'tmp', type: 'dir', mode: 0o1777 }] });
  });

  it('lists a file as its own node without children', () => {
    const listing = parseLsOutput(lines(fixture('ls-file.jsonl')), '/tmp/rfx/src/hello.txt');
    expect(listing).toMatchObject({ node: { type: 'file', size: 6 }, children: [] });
  });

  it('returns null for a path the snapshot does not have', () => {
    expect(parseLsOutput(lines(fixture('ls-missing.jsonl')), '/tmp/rfx/src/nope')).toBeNull();
  });
});

describe('modes and errors', () => {
  it('converts Go file modes to POSIX bits', () => {
    expect(posixMode(2147484141)).toBe(0o755); // dir 0755
    expect(posixMode(134218239)).toBe(0o777); // symlink
    expect(posixMode(2148532735)).toBe(0o1777); // sticky /tmp
    expect(posixMode((1 << 23) | 0o755)).toBe(0o4755);
    expect(posixMode((1 << 22) | 0o755)).toBe(0o2755);
  });

  it('reads fatal errors that restic --json writes as JSON', () => {
    const text = plainStderr(fixture('restore-missing-snapshot.stderr.txt'));
    expect(text).toContain('Fatal: failed to find snapshot');
    expect(missingInSnapshot(text)).toBe('snapshot not found in the repository');
    expect(missingInSnapshot('Fatal: cannot dump file: path "/a/b" not found in snapshot')).toBe('/a/b not found in the snapshot');
    expect(missingInSnapshot('Fatal: wrong password')).toBeNull();
  });
});
