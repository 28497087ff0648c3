import { absentFrom, duplicateRuns, untagged } from './snapshot-audit';

const snap = (id: string, tags: string[] | null) => ({ id, tags, paths: ['/src'] });

describe('duplicateRuns', () => {
  it('finds a run tag on two files snapshots', () => {
    expect(
      duplicateRuns([
        snap('a1', ['backstop-run=backup/1/x', 'backstop-job=1']),
        snap('b2', ['backstop-run=backup/1/y', 'backstop-job=1']),
        snap('c3', ['backstop-run=backup/1/x', 'backstop-job=1']),
      ]),
    ).toEqual([{ tag: 'backstop-run=backup/1/x', ids: ['a1', 'c3'] }]);
  });

  it("does not count a run's plugin streams, which carry its run tag too", () => {
    expect(duplicateRuns([snap('a1', ['backstop-run=backup/1/x']), snap('s1', ['backstop-run=backup/1/x', 'backstop-item=dump'])])).toEqual([]);
  });
});

describe('untagged', () => {
  it('lists snapshots without a run tag, null tags included', () => {
    expect(untagged([snap('a1', ['backstop-run=backup/1/x']), snap('b2', ['other']), snap('c3', null)])).toEqual(['b2', 'c3']);
  });
});

describe('absentFrom', () => {
  it('matches full ids and short ones', () => {
    const snaps = [snap('abcdef0123', []), snap('9999aaaa', [])];
    expect(absentFrom(snaps, ['abcdef0123', 'abcdef01', '9999aaaa', '12345678'])).toEqual(['12345678']);
  });
});
