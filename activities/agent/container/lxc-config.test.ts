import { isLxcRunning, LxcConfigError, lxcFreezeArgs, lxcInfoArgs, parseLxcConfig, parseLxcState, rootfsDirectory } from './lxc-config';

// What `lxc-create -n c1 -t busybox` writes on Debian 12 (LXC 5), trimmed.
const BUSYBOX = `# Template used to create this container: /usr/share/lxc/templates/lxc-busybox
# Parameters passed to the template:
# For additional config options, please look at lxc.container.conf(5)

# Uncomment the following line to support nesting containers:
#lxc.include = /usr/share/lxc/config/nesting.conf
# (Be aware this has security implications)

lxc.net.0.type = empty
lxc.apparmor.profile = generated
lxc.apparmor.allow_nesting = 1
lxc.rootfs.path = dir:/var/lib/lxc/c1/rootfs
lxc.signal.halt = SIGUSR1
lxc.signal.reboot = SIGTERM
lxc.uts.name = c1
lxc.tty.max = 1
lxc.pty.max = 1
lxc.cap.drop = sys_module mac_admin mac_override sys_time

# When using LXC with apparmor, uncomment the next line to run unconfined:
#lxc.apparmor.profile = unconfined

lxc.mount.auto = cgroup:mixed proc:mixed sys:mixed
lxc.mount.entry = shm /dev/shm tmpfs defaults 0 0
lxc.mount.entry = /lib lib none ro,bind 0 0
lxc.include = /usr/share/lxc/config/common.conf
`;

describe('parseLxcConfig', () => {
  it('reads the root filesystem, includes and fstab, and skips comments', () => {
    expect(parseLxcConfig(BUSYBOX)).toEqual({ rootfs: 'dir:/var/lib/lxc/c1/rootfs', includes: ['/usr/share/lxc/config/common.conf'], fstab: null });
  });

  it('takes LXC 2.x lxc.rootfs, the last value of a key, and lines without spaces around =', () => {
    expect(parseLxcConfig('lxc.rootfs = /old\nlxc.rootfs.path=/new\nlxc.mount.fstab=/var/lib/lxc/c1/fstab\nlxc.include=local.conf\n')).toEqual({ rootfs: '/new', includes: ['local.conf'], fstab: '/var/lib/lxc/c1/fstab' });
  });

  it('has no root filesystem when none is set', () => {
    expect(parseLxcConfig('# nothing\nlxc.uts.name = x\n').rootfs).toBeNull();
    expect(parseLxcConfig('lxc.rootfs.path =\n').rootfs).toBeNull();
  });
});

describe('rootfsDirectory', () => {
  it('takes a path, dir: and btrfs:', () => {
    expect(rootfsDirectory('/var/lib/lxc/c1/rootfs')).toBe('/var/lib/lxc/c1/rootfs');
    expect(rootfsDirectory('dir:/var/lib/lxc/c1/rootfs')).toBe('/var/lib/lxc/c1/rootfs');
    expect(rootfsDirectory('btrfs:/var/lib/lxc/c1/rootfs')).toBe('/var/lib/lxc/c1/rootfs');
  });

  it('refuses block- and image-backed storage and relative paths, saying why', () => {
    for (const v of ['lvm:/dev/vg/c1', 'zfs:tank/lxc/c1', 'loop:/var/lib/lxc/c1/rootdev', 'overlayfs:/lower:/upper', 'rbd:pool/c1']) {
      expect(() => rootfsDirectory(v)).toThrow(LxcConfigError);
      expect(() => rootfsDirectory(v)).toThrow(/only directory-backed root filesystems/);
    }
    expect(() => rootfsDirectory('rootfs')).toThrow(/not an absolute path/);
  });
});

describe('lxc-info state and commands', () => {
  it('parses the state and says which states run', () => {
    expect(parseLxcState('State:          RUNNING\n')).toBe('RUNNING');
    expect(parseLxcState('Name: c1\nState:          STOPPED\n')).toBe('STOPPED');
    expect(parseLxcState('')).toBeNull();
    expect(isLxcRunning('RUNNING')).toBe(true);
    expect(isLxcRunning('FROZEN')).toBe(true);
    expect(isLxcRunning('STOPPED')).toBe(false);
    expect(isLxcRunning(null)).toBe(false);
  });

  it('builds the commands, with -P only for another LXC path', () => {
    expect(lxcInfoArgs('c1')).toEqual(['-n', 'c1', '-s']);
    expect(lxcInfoArgs('c1', '/srv/lxc')).toEqual(['-P', '/srv/lxc', '-n', 'c1', '-s']);
    expect(lxcFreezeArgs('c1')).toEqual(['-n', 'c1']);
  });
});
