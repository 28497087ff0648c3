import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLocalRepositoryLocation, checkRepositoryUrl } from './repository-location';

describe('checkRepositoryUrl', () => {
  it('takes S3 URLs and absolute paths inside a root', () => {
    expect(() => checkRepositoryUrl('s3:http://127.0.0.1:8333/bucket/prefix', ['/srv'])).not.toThrow();
    expect(() => checkRepositoryUrl('/srv/backups//a/', ['/srv/backups'])).not.toThrow();
    expect(() => checkRepositoryUrl('/anything', ['/'])).not.toThrow();
  });

  it('refuses relative paths, "..", paths outside the roots and malformed S3 URLs', () => {
    expect(() => checkRepositoryUrl('repo', ['/'])).toThrow('a local repository location must be an absolute path without ".."');
    expect(() => checkRepositoryUrl('/srv/backups/../etc', ['/srv/backups'])).toThrow('without ".."');
    expect(() => checkRepositoryUrl('/srv/backupsX', ['/srv/backups'])).toThrow('repository location /srv/backupsX is outside the allowed repository roots (BACKSTOP_REPOSITORY_ROOTS): /srv/backups');
    expect(() => checkRepositoryUrl('s3:bucket', ['/'])).toThrow('S3 repositories look like s3:<endpoint>/<bucket>[/prefix]');
  });
});

describe('checkLocalRepositoryLocation', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'repo-location-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lets a new repository go to a new or empty directory', async () => {
    await expect(checkLocalRepositoryLocation(join(root, 'new', 'deeper'), [root], true)).resolves.toBeUndefined();
    mkdirSync(join(root, 'empty'));
    await expect(checkLocalRepositoryLocation(join(root, 'empty'), [root], true)).resolves.toBeUndefined();
  });

  it('refuses to make a directory holding other files a repository', async () => {
    mkdirSync(join(root, 'home'));
    writeFileSync(join(root, 'home', 'notes.txt'), 'x');
    await expect(checkLocalRepositoryLocation(join(root, 'home'), ['/'], true)).rejects.toThrow(`repository location ${join(root, 'home')} is a directory that already holds other files`);
    await expect(checkLocalRepositoryLocation(join(root, 'home', 'notes.txt'), ['/'], true)).rejects.toThrow('exists and is not a directory');
    // Registering an existing one (init: false) does not look inside.
    await expect(checkLocalRepositoryLocation(join(root, 'home'), ['/'], false)).resolves.toBeUndefined();
  });

  it('points at init: false for a directory that already holds a repository', async () => {
    mkdirSync(join(root, 'repo', 'keys'), { recursive: true });
    writeFileSync(join(root, 'repo', 'config'), 'x');
    await expect(checkLocalRepositoryLocation(join(root, 'repo'), [root], true)).rejects.toThrow('already holds a repository: to register it, send "init": false');
  });

  it('follows symlinks out of the roots and refuses them', async () => {
    mkdirSync(join(root, 'allowed'));
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'allowed', 'link'));
    await expect(checkLocalRepositoryLocation(join(root, 'allowed', 'link', 'repo'), [join(root, 'allowed')], true)).rejects.toThrow(
      `resolves to ${join(root, 'elsewhere', 'repo')}, outside the allowed repository roots`,
    );
  });
});
