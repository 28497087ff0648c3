import { checkEndpoint, normalizePrefix } from './s3-sync';

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

describe('checkEndpoint', () => {
  it('takes http(s) URLs with a host, names and IP literals alike', () => {
    for (const e of ['http://127.0.0.1:8333', 'https://s3.example.com', 'http://[::1]:9000/']) expect(() => checkEndpoint(e)).not.toThrow();
  });

  it('refuses hosts no client could reach (found by fuzzing)', () => {
    expect(() => checkEndpoint('http://[x')).toThrow('endpoint "http://[x" is not a URL: give http(s)://host[:port]');
    expect(() => checkEndpoint('http://[::::]')).toThrow('is not a URL');
  });
});
