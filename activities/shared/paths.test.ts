import { ancestorsOf, outermostPaths } from './paths';

describe('ancestorsOf', () => {
  it('names every proper ancestor but /, outermost first', () => {
    expect(ancestorsOf('/srv/www/site')).toEqual(['/srv', '/srv/www']);
    expect(ancestorsOf('/srv/www')).toEqual(['/srv']);
  });
  it('has none for / and for a top-level path', () => {
    expect(ancestorsOf('/')).toEqual([]);
    expect(ancestorsOf('/srv')).toEqual([]);
  });
  it('keeps spaces and newlines inside a component', () => {
    expect(ancestorsOf('/a b/c\nd/e')).toEqual(['/a b', '/a b/c\nd']);
  });
  it('ignores a trailing or doubled slash', () => {
    expect(ancestorsOf('/srv//www/')).toEqual(['/srv']);
  });
});

describe('outermostPaths', () => {
  it('drops paths inside another of the list, and duplicates', () => {
    expect(outermostPaths(['/srv/www', '/etc', '/srv', '/srv/www/x', '/etc'])).toEqual(['/etc', '/srv']);
  });
  it('keeps a sibling that only shares a prefix', () => {
    expect(outermostPaths(['/srvx', '/srv', '/srv-old/a'])).toEqual(['/srv', '/srv-old/a', '/srvx']);
  });
  it('/ brings everything', () => {
    expect(outermostPaths(['/etc', '/', '/srv/www'])).toEqual(['/']);
  });
  it('an empty list stays empty', () => {
    expect(outermostPaths([])).toEqual([]);
  });
});
