import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBackupPaths, pathsOutsideRoots } from './backup-roots';

describe('pathsOutsideRoots', () => {
  it('keeps paths inside a root, reports the rest', () => {
    expect(pathsOutsideRoots(['/srv/a', '/srv', '/srvx', '/etc/passwd'], ['/srv'])).toEqual(['/srvx', '/etc/passwd']);
    expect(pathsOutsideRoots(['/anything'], ['/'])).toEqual([]);
  });
});

describe('checkBackupPaths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-roots-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  symlinkSync(join(dir, 'outside'), join(root, 'escape'));

  it('accepts paths inside the roots, existing or not', async () => {
    await expect(checkBackupPaths([join(root, 'data'), join(root, 'not-yet')], [root])).resolves.toBeUndefined();
  });

  it('refuses a path outside, naming it and the roots', async () => {
    await expect(checkBackupPaths([join(dir, 'outside')], [root])).rejects.toMatchObject({
      type: 'InputError',
      message: `backup source ${join(dir, 'outside')} is outside this agent's allowed backup roots (BACKSTOP_BACKUP_ROOTS): ${root}`,
    });
  });

  it('refuses a symlink inside a root that leads outside', async () => {
    await expect(checkBackupPaths([join(root, 'escape')], [root])).rejects.toThrow(/resolves to .*outside/);
  });

  it('refuses relative and dotted paths and an empty root list', async () => {
    await expect(checkBackupPaths(['relative'], [root])).rejects.toThrow(/absolute/);
    await expect(checkBackupPaths([`${root}/../outside`], [root])).rejects.toThrow(/"\." or "\.\."/);
    await expect(checkBackupPaths([root], [])).rejects.toThrow(/no backup roots/);
  });

  it('lets everything through with root /', async () => {
    await expect(checkBackupPaths(['/etc'], ['/'])).resolves.toBeUndefined();
  });
});
