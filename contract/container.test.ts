import { checkContainerJobUpdate, checkContainerSource, configRestorePath, containerBackupPaths, containerDetailsOf, containerTag } from './container';
import { checkJobSource } from './guest';
import { InputError } from './errors';

const pathOf = (f: () => void): string | undefined => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError & { details?: { errors?: Array<{ path: string }> } }).details?.errors?.[0]?.path;
  }
  throw new Error('expected an InputError');
};

describe('container job sources', () => {
  it('takes an LXC container by name and a directory container with its root filesystem', () => {
    expect(() => checkJobSource({ kind: 'container', container: { runtime: 'lxc', name: 'c1' } })).not.toThrow();
    expect(() => checkJobSource({ kind: 'container', container: { runtime: 'directory', name: 'web', rootfs: '/srv/web', config: '/etc/web.conf' }, snapshotMode: 'btrfs' })).not.toThrow();
  });

  it('refuses what a container job cannot have, naming the field', () => {
    expect(pathOf(() => checkJobSource({ kind: 'container' }))).toBe('/container');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'lxc', name: 'c1' }, paths: ['/srv'] }))).toBe('/paths');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'lxc', name: 'c1' }, excludes: ['*.log'] }))).toBe('/excludes');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'lxc', name: 'c1' }, mode: 'pull' }))).toBe('/mode');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'lxc', name: 'c1', rootfs: '/x' } }))).toBe('/container/rootfs');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'lxc', name: 'c1', config: '/x' } }))).toBe('/container/config');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'directory', name: 'web' } }))).toBe('/container/rootfs');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'directory', name: 'web', rootfs: '/.' } }))).toBe('/container/rootfs');
    expect(pathOf(() => checkJobSource({ kind: 'container', container: { runtime: 'directory', name: 'web', rootfs: '/srv/web', config: '/srv/web/etc/x.conf' } }))).toBe('/container/config');
    expect(pathOf(() => checkJobSource({ kind: 'files', paths: ['/srv'], container: { runtime: 'lxc', name: 'c1' } }))).toBe('/container');
    expect(pathOf(() => checkJobSource({ kind: 'guest', guest: { qmpSocket: '/q', disks: [{ name: 'a', node: 'n' }] }, container: { runtime: 'lxc', name: 'c1' } }))).toBe('/container');
    expect(pathOf(() => checkContainerJobUpdate({ paths: ['/x'] }))).toBe('/paths');
    expect(pathOf(() => checkContainerJobUpdate({ mode: 'pull' }))).toBe('/mode');
    expect(() => checkContainerJobUpdate({ mode: 'push' })).not.toThrow();
    expect(() => checkContainerSource({ runtime: 'directory', name: 'w', rootfs: '/srv/w', config: '/srv/w.conf' })).not.toThrow();
  });
});

describe('container runs and restores', () => {
  const plan = { runtime: 'lxc' as const, name: 'c1', rootfs: '/var/lib/lxc/c1/rootfs', configRoot: '/var/lib/lxc/c1', configFiles: ['/var/lib/lxc/c1/config', '/var/lib/lxc/c1/conf.d/a.conf'], running: false };

  it('backs up the root filesystem, then the configuration files, tagged with the name', () => {
    expect(containerBackupPaths(plan)).toEqual(['/var/lib/lxc/c1/rootfs', '/var/lib/lxc/c1/config', '/var/lib/lxc/c1/conf.d/a.conf']);
    expect(containerTag('c1')).toBe('backstop-container=c1');
  });

  it('places configuration files by their path under the container directory, else by name', () => {
    expect(configRestorePath('/var/lib/lxc/c1', '/var/lib/lxc/c1/config')).toBe('config');
    expect(configRestorePath('/var/lib/lxc/c1', '/var/lib/lxc/c1/conf.d/a.conf')).toBe('conf.d/a.conf');
    expect(configRestorePath('/srv/web', '/etc/web.conf')).toBe('web.conf');
    expect(configRestorePath(null, '/etc/web.conf')).toBe('web.conf');
  });

  it('reads a run\'s container details, and nothing from any other run', () => {
    const details = { container: { runtime: 'lxc', name: 'c1', rootfs: '/r', configRoot: null, configFiles: [], frozen: false } };
    expect(containerDetailsOf(details)).toEqual(details.container);
    expect(containerDetailsOf({ guest: {} })).toBeNull();
    expect(containerDetailsOf(null)).toBeNull();
  });
});
