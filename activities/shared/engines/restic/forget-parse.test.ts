import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseForget, parsePruneReport, parseSize } from './forget-parse';

// Captured from restic 0.18.1: eight snapshots of one job on two hosts, policy
// --keep-daily 2 --keep-weekly 1 --keep-yearly 1 --keep-within 1d --keep-tag keepme, and
// the report of a prune that removed one 5 MiB snapshot's data.
const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const short = (id: string) => id.slice(0, 8);

describe('parseForget', () => {
  const groups = parseForget(fixture('forget-dry-run.json'));

  it('reads one group per host and paths', () => {
    expect(groups.map((g) => [g.host, g.paths])).toEqual([
      ['web2', ['/tmp/fp/src']],
      ['web1', ['/tmp/fp/src']],
    ]);
  });

  it('reads kept snapshots with the rules that keep them', () => {
    expect(groups[1]!.keep.map((k) => [short(k.snapshot.id), k.snapshot.time, k.reasons])).toEqual([
      ['3ca9c0de', '2025-01-10T09:00:00Z', ['within 1d', 'daily snapshot', 'weekly snapshot', 'yearly snapshot']],
      ['2a429fe0', '2025-01-09T10:00:00Z', ['within 1d', 'daily snapshot']],
      ['5cbf79c9', '2024-12-01T10:00:00Z', ['has tags [keepme]']],
    ]);
    expect(groups[1]!.keep[2]!.snapshot.tags).toEqual(['backstop-job=5', 'keepme']);
  });

  it('reads removed snapshots, and a null remove list as empty', () => {
    expect(groups[1]!.remove.map((s) => short(s.id))).toEqual(['4c614986', '1a2f49d4', '0d904962', 'd0de8772']);
    expect(groups[1]!.remove[0]!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(groups[0]!.remove).toEqual([]);
  });

  it('reads the empty output of a filter that matched nothing', () => {
    expect(parseForget('')).toEqual([]);
    expect(parseForget('\n')).toEqual([]);
  });

  it('rejects anything but a list', () => {
    expect(() => parseForget('{}')).toThrow(/list of groups/);
  });
});

describe('parsePruneReport', () => {
  it('reads what was freed and what remains', () => {
    expect(parsePruneReport(fixture('prune.txt'))).toEqual({
      blobsRemoved: 7,
      bytesFreed: Math.round(5.001 * 1024 * 1024),
      bytesRemaining: 791,
      bytesUnusedAfter: 0,
    });
  });

  it('answers nulls for a report it does not recognise', () => {
    expect(parsePruneReport('done\n')).toEqual({ blobsRemoved: null, bytesFreed: null, bytesRemaining: null, bytesUnusedAfter: null });
  });

  it('reads restic sizes', () => {
    expect(parseSize('0 B')).toBe(0);
    expect(parseSize('1.500 KiB')).toBe(1536);
    expect(parseSize('2.000 GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('lots')).toBeNull();
  });
});
