import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnsupportedByEngineError } from '../../../../contract/errors';
import { keepWithinArg, policyArgs, pruneArgs } from './prune-args';
import { parseCompactOutput, parsePruneMessage, parsePruneOutput, parseSize, reasonFor } from './prune-parse';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');

describe('prune args', () => {
  test('counts as --keep-* flags, 0 as no rule', () => {
    expect(policyArgs({ keepLast: 2, keepDaily: 7, keepWeekly: 0, keepYearly: 1 })).toEqual(['--keep-last', '2', '--keep-daily', '7', '--keep-yearly', '1']);
  });

  test("keepWithin: restic's single-unit durations, hours as borg's H; combinations refused", () => {
    expect(keepWithinArg('30d')).toBe('30d');
    expect(keepWithinArg('12h')).toBe('12H');
    expect(keepWithinArg('2m')).toBe('2m');
    expect(keepWithinArg('1y')).toBe('1y');
    expect(() => keepWithinArg('1y2m')).toThrow(UnsupportedByEngineError);
  });

  test('keepTags is refused: borg archives have no tags', () => {
    expect(() => policyArgs({ keepLast: 1, keepTags: ['x'] })).toThrow(UnsupportedByEngineError);
  });

  test('one group, with --list and --dry-run', () => {
    expect(pruneArgs('/repo', 'backstop-job=1.backstop-run=*', { keepLast: 1 }, true)).toEqual([
      'prune', '--log-json', '--lock-wait', '10', '--list', '--dry-run', '--glob-archives', 'backstop-job=1.backstop-run=*', '--keep-last', '1', '/repo',
    ]);
    expect(pruneArgs('/repo', 'g.*', { keepDaily: 1 }, false)).not.toContain('--dry-run');
  });
});

describe('prune output', () => {
  test('a dry run: kept with reasons (borg 1.2 calls keep-last "secondly"), would prune', () => {
    const d = parsePruneOutput(fixture('prune-dry.stderr.jsonl'));
    expect(d).toEqual([
      { kind: 'keep', name: 'p.x.r3', id: expect.stringMatching(/^538a78c4/), reasons: ['last snapshot'] },
      { kind: 'remove', name: 'p.x.r2', id: expect.stringMatching(/^381329cc/) },
      { kind: 'keep', name: 'p.x.r1', id: expect.stringMatching(/^48105a52/), reasons: ['daily snapshot (oldest)'] },
    ]);
  });

  test('a real prune: "Pruning archive (i/n)"', () => {
    expect(parsePruneOutput(fixture('prune.stderr.jsonl')).map((d) => d.kind)).toEqual(['keep', 'remove', 'remove']);
  });

  test('within names its duration; other lines are not decisions', () => {
    expect(reasonFor('within', '2d')).toBe('within 2d');
    expect(reasonFor('monthly')).toBe('monthly snapshot');
    expect(parsePruneMessage('Deleting archive foo')).toBeNull();
  });

  test('compact: only the space freed, approximately', () => {
    expect(parseCompactOutput(fixture('compact.stderr.jsonl'))).toEqual({ blobsRemoved: null, bytesFreed: 8560, bytesRemaining: null, bytesUnusedAfter: null });
    expect(parseCompactOutput('')).toEqual({ blobsRemoved: null, bytesFreed: null, bytesRemaining: null, bytesUnusedAfter: null });
    expect(parseSize('1.50 GB')).toBe(1_500_000_000);
    expect(parseSize('12 B')).toBe(12);
    expect(parseSize('lots')).toBeNull();
  });
});
