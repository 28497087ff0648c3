import { normalizePrefix } from './s3-sync';

describe('normalizePrefix', () => {
  it('trims slashes and keeps nested prefixes', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('/')).toBe('');
    expect(normalizePrefix('/hosts/web1/')).toBe('hosts/web1');
  });

  it('refuses segments that are not plain names', () => {
    for (const p of ['a/../b', '..', 'a//b', './a']) expect(() => normalizePrefix(p)).toThrow(/plain key prefix/);
  });
});
