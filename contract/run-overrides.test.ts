import { mergeOverrides, NO_OVERRIDES, overrideTags, parseScriptOutput } from './run-overrides';

describe('parseScriptOutput', () => {
  it('reads TAGS, LABEL and EXCLUDE lines', () => {
    expect(parseScriptOutput(['TAGS=db, nightly', 'LABEL=pre-upgrade', 'EXCLUDE=*.tmp', 'EXCLUDE=/var/cache', ''])).toEqual({
      overrides: { tags: ['db', 'nightly'], label: 'pre-upgrade', excludes: ['*.tmp', '/var/cache'] },
      warnings: [],
    });
  });

  it('reports anything else, and bad values, as warnings', () => {
    const r = parseScriptOutput(['dumping…', 'FOO=bar', 'TAGS=ok,bad tag', 'LABEL=', 'EXCLUDE=']);
    expect(r.overrides).toEqual(NO_OVERRIDES);
    expect(r.warnings).toEqual([
      'unrecognised pre script output (not TAGS=, LABEL= or EXCLUDE=): dumping…',
      'unrecognised pre script output (not TAGS=, LABEL= or EXCLUDE=): FOO=bar',
      'ignored TAGS: "bad tag" is not a valid tag (letters, digits and ._:@+-)',
      'ignored LABEL: "" is not a valid label (letters, digits and ._:@+-, at most 100)',
      'ignored EXCLUDE: empty pattern',
    ]);
  });

  it('merges the overrides of several scripts and turns them into tags', () => {
    const merged = mergeOverrides({ tags: ['a'], label: 'x', excludes: ['e1'] }, { tags: [], label: 'y', excludes: ['e2'] });
    expect(merged).toEqual({ tags: ['a'], label: 'y', excludes: ['e1', 'e2'] });
    expect(overrideTags(merged)).toEqual(['a', 'backstop-label=y']);
  });
});
