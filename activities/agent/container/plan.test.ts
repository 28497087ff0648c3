import { posix } from 'node:path';
import { ContainerMissingError, planContainer, type PlanIo } from './plan';
import { LxcConfigError } from './lxc-config';

/** A filesystem of text files and directories (paths ending in /), and LXC states by name. */
function fakeIo(files: Record<string, string>, states: Record<string, string> = {}): PlanIo {
  const dirs = new Set(Object.keys(files).filter((p) => p.endsWith('/')).map((p) => p.slice(0, -1)));
  return {
    readText: async (p) => (p in files && !p.endsWith('/') ? files[p]! : null),
    kindOf: async (p) => (dirs.has(p) ? 'directory' : p in files ? 'file' : null),
    list: async (dir) => Object.keys(files).filter((p) => posix.dirname(p) === dir && !p.endsWith('/')).map((p) => posix.basename(p)),
    lxcState: async (name) => states[name] ?? null,
  };
}

describe('planContainer: LXC', () => {
  it('finds the root filesystem and the configuration files that live with the container', async () => {
    const io = fakeIo(
      {
        '/var/lib/lxc/c1/': '',
        '/var/lib/lxc/c1/rootfs/': '',
        '/var/lib/lxc/c1/config': 'lxc.include = /usr/share/lxc/config/common.conf\nlxc.include = local.conf\nlxc.include = /var/lib/lxc/c1/conf.d\nlxc.mount.fstab = fstab\nlxc.rootfs.path = dir:/var/lib/lxc/c1/rootfs\n',
        '/var/lib/lxc/c1/local.conf': 'lxc.uts.name = c1\n',
        '/var/lib/lxc/c1/conf.d/': '',
        '/var/lib/lxc/c1/conf.d/b.conf': 'lxc.include = /var/lib/lxc/c1/config\n',
        '/var/lib/lxc/c1/conf.d/a.conf': '',
        '/var/lib/lxc/c1/conf.d/notes.txt': '',
        '/var/lib/lxc/c1/fstab': 'proc proc proc defaults 0 0\n',
      },
      { c1: 'RUNNING' },
    );
    await expect(planContainer({ runtime: 'lxc', name: 'c1' }, io)).resolves.toEqual({
      runtime: 'lxc',
      name: 'c1',
      rootfs: '/var/lib/lxc/c1/rootfs',
      configRoot: '/var/lib/lxc/c1',
      configFiles: ['/var/lib/lxc/c1/config', '/var/lib/lxc/c1/fstab', '/var/lib/lxc/c1/local.conf', '/var/lib/lxc/c1/conf.d/a.conf', '/var/lib/lxc/c1/conf.d/b.conf'],
      running: true,
    });
  });

  it('takes the root filesystem an include sets, and a stopped container as not running', async () => {
    const io = fakeIo({ '/srv/c2/': '', '/var/lib/lxc/c2/config': 'lxc.include = rootfs.conf\n', '/var/lib/lxc/c2/rootfs.conf': 'lxc.rootfs.path = /srv/c2\n' }, { c2: 'STOPPED' });
    const plan = await planContainer({ runtime: 'lxc', name: 'c2' }, io);
    expect(plan.rootfs).toBe('/srv/c2');
    expect(plan.running).toBe(false);
  });

  it('fails with a readable reason for a container that does not exist or cannot be stored as a directory', async () => {
    await expect(planContainer({ runtime: 'lxc', name: 'nope' }, fakeIo({}))).rejects.toThrow(new ContainerMissingError('LXC container "nope" does not exist on this agent: no /var/lib/lxc/nope/config'));
    await expect(planContainer({ runtime: 'lxc', name: 'c3' }, fakeIo({ '/var/lib/lxc/c3/config': 'lxc.uts.name = c3\n' }))).rejects.toThrow(LxcConfigError);
    await expect(planContainer({ runtime: 'lxc', name: 'c4' }, fakeIo({ '/var/lib/lxc/c4/config': 'lxc.rootfs.path = lvm:/dev/vg/c4\n' }))).rejects.toThrow(/lvm-backed storage/);
    await expect(planContainer({ runtime: 'lxc', name: 'c5' }, fakeIo({ '/var/lib/lxc/c5/config': 'lxc.rootfs.path = /var/lib/lxc/c5/rootfs\n' }))).rejects.toThrow(/root filesystem \/var\/lib\/lxc\/c5\/rootfs is not a directory/);
  });

  it('reads another LXC path when told', async () => {
    const io = fakeIo({ '/srv/lxc/c1/rootfs/': '', '/srv/lxc/c1/config': 'lxc.rootfs.path = /srv/lxc/c1/rootfs\n' });
    expect((await planContainer({ runtime: 'lxc', name: 'c1' }, io, '/srv/lxc')).configFiles).toEqual(['/srv/lxc/c1/config']);
  });
});

describe('planContainer: directory', () => {
  it('takes the root filesystem and configuration file as named', async () => {
    const io = fakeIo({ '/srv/web/rootfs/': '', '/srv/web/web.conf': 'x' });
    await expect(planContainer({ runtime: 'directory', name: 'web', rootfs: '/srv/web/rootfs/', config: '/srv/web/web.conf' }, io)).resolves.toEqual({
      runtime: 'directory',
      name: 'web',
      rootfs: '/srv/web/rootfs',
      configRoot: '/srv/web',
      configFiles: ['/srv/web/web.conf'],
      running: false,
    });
    expect((await planContainer({ runtime: 'directory', name: 'web', rootfs: '/srv/web/rootfs' }, io)).configFiles).toEqual([]);
  });

  it('fails when the root filesystem or configuration file is not there', async () => {
    await expect(planContainer({ runtime: 'directory', name: 'web', rootfs: '/srv/gone' }, fakeIo({}))).rejects.toThrow(ContainerMissingError);
    await expect(planContainer({ runtime: 'directory', name: 'web', rootfs: '/srv/web', config: '/srv/web.conf' }, fakeIo({ '/srv/web/': '' }))).rejects.toThrow(/configuration file \/srv\/web.conf is not a file/);
  });
});
