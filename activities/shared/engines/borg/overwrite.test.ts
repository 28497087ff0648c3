import type { SnapshotEntry } from '../../../../contract/engine';
import { excludePatternsFile, keptByPolicy, tarExcludeFile, type ExistingNode } from './overwrite';

const T = '2026-12-01T10:00:00.000Z';
const ms = Date.parse(T);
const entry = (path: string, type: SnapshotEntry['type'] = 'file', size = 10): SnapshotEntry => ({
  name: path.slice(path.lastIndexOf('/') + 1), path, type, size: type === 'file' ? size : null, mtime: T, mode: 0o644, permissions: '-rw-r--r--', uid: 0, gid: 0,
});
const entries = [entry('/d', 'dir'), entry('/d/same'), entry('/d/older'), entry('/d/newer'), entry('/d/resized'), entry('/d/absent'), entry('/d/link', 'symlink')];
const target: Record<string, ExistingNode> = {
  '/d': { type: 'dir', size: 0, mtimeMs: ms },
  '/d/same': { type: 'file', size: 10, mtimeMs: ms + 400 },
  '/d/older': { type: 'file', size: 10, mtimeMs: ms - 60_000 },
  '/d/newer': { type: 'file', size: 10, mtimeMs: ms + 60_000 },
  '/d/resized': { type: 'file', size: 11, mtimeMs: ms },
  '/d/link': { type: 'other', size: 5, mtimeMs: ms - 1 },
};
const there = (p: string) => target[p] ?? null;

test.each([
  ['always', []],
  ['never', ['/d/same', '/d/older', '/d/newer', '/d/resized', '/d/link']],
  ['if-newer', ['/d/same', '/d/newer', '/d/resized']],
  ['if-changed', ['/d/same']],
] as const)('%s keeps %j as they are; directories are always entered', (policy, kept) => {
  expect(keptByPolicy(entries, there, policy)).toEqual(kept);
});

test('the kept paths become literal borg and tar exclusions', () => {
  expect(excludePatternsFile(['/d/a b', '/d/*x'])).toBe('- pp:d/a b\n- pp:d/*x\n');
  expect(tarExcludeFile(['/d/a b'])).toBe('d/a b\n');
  expect(excludePatternsFile([])).toBe('');
});
