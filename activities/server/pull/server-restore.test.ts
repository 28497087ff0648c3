import { archivePaths, convergesOnRerun } from './server-restore';

describe('archivePaths', () => {
  it('streams the whole snapshot without includes', () => {
    expect(archivePaths([])).toEqual(['/']);
  });

  it('streams each included path once, the outermost only', () => {
    expect(archivePaths(['/srv/www', '/home/alice', '/srv/www/static'])).toEqual(['/home/alice', '/srv/www']);
  });

  it('refuses globs and relative patterns: restic dump takes a path', () => {
    for (const p of ['*.conf', '/srv/*.conf', 'etc/hosts', '/srv/[ab]']) expect(() => archivePaths([p])).toThrow(/needs via "agent"/);
  });
});

describe('convergesOnRerun', () => {
  it('takes a new directory and always; never and if-newer could keep a half-written file', () => {
    expect(convergesOnRerun(null)).toBe(true);
    expect(convergesOnRerun('always')).toBe(true);
    expect(convergesOnRerun('never')).toBe(false);
    expect(convergesOnRerun('if-newer')).toBe(false);
  });
});
