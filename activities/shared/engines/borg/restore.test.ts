import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnsupportedByEngineError } from '../../../../contract/errors';
import { directoryListing, modeBits, parseItem, parseItems, plannedWrites } from './items';
import { dumpFileArgs, exportTarArgs, extractArgs, includePaths, listDirectoryArgs, selectionPaths } from './restore-args';

const items = parseItems(readFileSync(join(__dirname, '__fixtures__', 'items.jsonl'), 'utf8').split('\n'));

describe('restore args', () => {
  test('includes: paths as path prefixes, globs as shell patterns, relative ones anywhere', () => {
    expect(includePaths(['/srv/www/', '/srv/*/logs', '*.conf', 'etc'])).toEqual(['pp:srv/www', 'sh:srv/*/logs', 'sh:**/*.conf', 'sh:**/etc']);
    expect(() => includePaths(['!x'])).toThrow(UnsupportedByEngineError);
  });

  test("overwrite: the items a policy keeps are excluded through a patterns file", () => {
    // Overwrite policies become a patterns file of the items kept (overwrite.ts).
    expect(extractArgs('/r', 'n', { overwrite: 'never' }, '/tmp/p')).toEqual(['extract', '--log-json', '--lock-wait', '10', '--list', '--progress', '--patterns-from', '/tmp/p', '/r::n']);
  });

  test('command lines', () => {
    expect(extractArgs('/r', 'n', { include: ['/a'] })).toEqual(['extract', '--log-json', '--lock-wait', '10', '--list', '--progress', '/r::n', 'pp:a']);
    expect(extractArgs('/r', 'n', { include: ['/'] })).toEqual(['extract', '--log-json', '--lock-wait', '10', '--list', '--progress', '/r::n']);
    // A drill's exact paths are path prefixes, a glob character in a name taken literally.
    expect(selectionPaths({ paths: ['/srv/a*b [1].txt', '/srv/c'] })).toEqual(['pp:srv/a*b [1].txt', 'pp:srv/c']);
    expect(extractArgs('/r', 'n', { include: ['*.conf'], paths: ['/srv/x'] })).toEqual(['extract', '--log-json', '--lock-wait', '10', '--list', '--progress', '/r::n', 'sh:**/*.conf', 'pp:srv/x']);
    expect(dumpFileArgs('/r', 'n', '/a/b')).toEqual(['extract', '--log-json', '--lock-wait', '10', '--stdout', '/r::n', 'pp:a/b']);
    expect(exportTarArgs('/r', 'n', ['pp:a'])).toEqual(['export-tar', '--log-json', '--lock-wait', '10', '/r::n', '-', 'pp:a']);
    expect(listDirectoryArgs('/r', 'n', '/')).toEqual(['list', '--json-lines', '--log-json', '--lock-wait', '10', '/r::n']);
    expect(listDirectoryArgs('/r', 'n', '/a/')).toEqual(['list', '--json-lines', '--log-json', '--lock-wait', '10', '/r::n', 'pp:a']);
  });
});

describe('items', () => {
  test('a real item as a SnapshotEntry', () => {
    expect(items.find((e) => e.name === 'a.txt')).toEqual({
      name: 'a.txt', path: '/tmp/bx/src/a.txt', type: 'file', size: 6, mtime: expect.stringMatching(/Z$/), mode: 0o644, permissions: '-rw-r--r--', uid: 0, gid: 0,
    });
    expect(items.find((e) => e.name === 'link')).toMatchObject({ type: 'symlink', size: null });
    expect(items.find((e) => e.name === 'src')).toMatchObject({ type: 'dir', size: null, mode: 0o755 });
    expect(items.find((e) => e.name === 'db.sql')).toMatchObject({ path: '/dump/db.sql', mode: 0o660 });
  });

  test('special bits', () => {
    expect(modeBits('-rwsr-sr-t')).toBe(0o7755);
    expect(modeBits('drwxrwxrwT')).toBe(0o1776);
    expect(modeBits('-rwSr--r--')).toBe(0o4644);
    expect(modeBits('')).toBe(0);
    expect(parseItem('not json')).toBeNull();
  });

  test('a directory: its node and direct children; parents borg did not store are synthetic', () => {
    const root = directoryListing(items, '/')!;
    expect(root.node).toBeNull();
    expect(root.children.map((c) => [c.path, c.mtime])).toEqual([['/tmp', null], ['/dump', null]]);
    const src = directoryListing(items, '/tmp/bx/src')!;
    expect(src.node).toMatchObject({ type: 'dir', mtime: expect.stringMatching(/Z$/) });
    expect(src.children.map((c) => c.name).sort()).toEqual(['a.txt', 'link', 'unread']);
    expect(directoryListing(items, '/tmp/bx')!.node).toMatchObject({ path: '/tmp/bx', mtime: null });
    expect(directoryListing(items, '/tmp/bx/src/nothing')).toBeNull();
    expect(directoryListing(items, '/tmp/bx/src/a.txt')).toMatchObject({ node: { type: 'file' }, children: [] });
  });

  test('planned writes: every item, sizes of files', () => {
    expect(plannedWrites(items).find((p) => p.path === '/tmp/bx/src/a.txt')).toEqual({ path: '/tmp/bx/src/a.txt', size: 6 });
    expect(plannedWrites(items).find((p) => p.path === '/tmp/bx/src')).toEqual({ path: '/tmp/bx/src', size: 0 });
  });
});
