import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkIncludes, defaultTargetName, normalizeAbsolute, resolveRestoreTarget } from './restore-target';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bs-target-')));
const root = join(base, 'restores');
const outside = join(base, 'outside');
mkdirSync(root);
mkdirSync(outside);
const at = new Date('2026-11-23T09:27:41.123Z');
const snapshotId = '590e70fe002f7981c69b8c208d9d85cfe709cd11ea83e74067cea98f8c8214d4';
const resolve = (target: string | null, roots = [root]) => resolveRestoreTarget({ target, roots, snapshotId, now: at });

describe('default target', () => {
  it('names the default target after the snapshot and the UTC time', () => {
    expect(defaultTargetName(snapshotId, at)).toBe('590e70fe-20261123T092741Z');
  });

  it('puts the default target under the first root', async () => {
    expect(await resolve(null)).toEqual({ path: join(root, '590e70fe-20261123T092741Z'), existed: false });
  });
});

describe('target checks', () => {
  it('accepts a new or existing directory inside a root', async () => {
    expect(await resolve(join(root, 'a', 'b'))).toEqual({ path: join(root, 'a', 'b'), existed: false });
    mkdirSync(join(root, 'existing'));
    expect(await resolve(join(root, 'existing'))).toEqual({ path: join(root, 'existing'), existed: true });
  });

  it.each([
    ['a relative path', 'restores/x', /must be an absolute path/],
    ['a .. segment', `${root}/../outside`, /"\." or "\.\." segments/],
    ['a path outside every root', '/etc', /outside this agent's allowed restore roots/],
  ])('refuses %s', async (_what, target, message) => {
    await expect(resolve(target)).rejects.toThrow(message);
  });

  it('refuses a symlink inside a root that points outside it, naming where it leads', async () => {
    symlinkSync(outside, join(root, 'escape'));
    await expect(resolve(join(root, 'escape', 'deeper'))).rejects.toThrow(`resolves to ${join(outside, 'deeper')}`);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a dangling symlink and a target that is a file', async () => {
    symlinkSync(join(base, 'nowhere'), join(root, 'dangling'));
    await expect(resolve(join(root, 'dangling'))).rejects.toThrow(/cannot be resolved/);
    writeFileSync(join(root, 'file'), 'x');
    await expect(resolve(join(root, 'file'))).rejects.toThrow(/not a directory/);
  });

  it('follows a root that is itself a symlink', async () => {
    const link = join(base, 'root-link');
    symlinkSync(root, link);
    expect((await resolve(join(link, 'x'), [link])).path).toBe(join(root, 'x'));
  });

  it('refuses when the agent has no roots', async () => {
    await expect(resolve(null, [])).rejects.toThrow(/no restore roots/);
  });
});

describe('include patterns', () => {
  const paths = ['/srv/data', '/etc/nginx'];

  it('accepts paths and globs inside the snapshot, normalised', () => {
    expect(checkIncludes(['/srv/data/a//b/', '/etc/nginx', '*.conf', 'sub/*.txt', '/srv/*/x', '/'], paths)).toEqual([
      '/srv/data/a/b', '/etc/nginx', '*.conf', 'sub/*.txt', '/srv/*/x', '/',
    ]);
  });

  it.each([['/srv/data/../../etc/shadow'], ['../x'], ['/home/user'], ['/etc/passwd'], ['']])('refuses %j', (pattern) => {
    expect(() => checkIncludes([pattern], paths)).toThrow();
  });

  it('normalises absolute paths', () => {
    expect(normalizeAbsolute('//a///b/', 'x')).toBe('/a/b');
    expect(normalizeAbsolute('/', 'x')).toBe('/');
  });
});
