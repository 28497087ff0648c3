import { btrfs, findmntArgs, inMountNamespace, lvm, lvsArgs, mountSnapshotArgs, parseFindmnt, parseLvs, snapshotName, zfs } from './snapshot-commands';

describe('snapshot names', () => {
  it('carry the run id', () => {
    expect(snapshotName('6f1c0a52-1d2e-4c11-9a55-0f2b7f1e9a10')).toBe('backstop-6f1c0a52-1d2e-4c11-9a55-0f2b7f1e9a10');
  });
  it('refuse anything a tool could read as a path or an option', () => {
    expect(() => snapshotName('../x')).toThrow();
    expect(() => snapshotName('a b')).toThrow();
  });
});

describe('findmnt', () => {
  it('asks for the one mount of a path, as JSON', () => {
    expect(findmntArgs('/srv/www')).toEqual(['--json', '--noheadings', '--output', 'TARGET,FSTYPE,SOURCE', '--target', '/srv/www']);
  });
  // Captured: findmnt on ext4, and on a btrfs subvolume mount of a loop device.
  it('reads the mount, dropping the btrfs subvolume from the source', () => {
    expect(parseFindmnt('{"filesystems":[{"target":"/","fstype":"ext4","source":"/dev/vda"}]}')).toEqual({ target: '/', fstype: 'ext4', source: '/dev/vda' });
    expect(parseFindmnt('{"filesystems":[{"target":"/mnt/bt","fstype":"btrfs","source":"/dev/loop0[/data]"}]}')).toEqual({ target: '/mnt/bt', fstype: 'btrfs', source: '/dev/loop0' });
  });
  it('says null when findmnt names nothing', () => {
    expect(parseFindmnt('{"filesystems":[]}')).toBeNull();
  });
});

describe('btrfs', () => {
  it('makes read-only snapshots and deletes them, paths after --', () => {
    expect(btrfs.snapshot('/srv', '/srv/.backstop-snapshots/backstop-1')).toEqual(['subvolume', 'snapshot', '-r', '--', '/srv', '/srv/.backstop-snapshots/backstop-1']);
    expect(btrfs.delete('/srv/.backstop-snapshots/backstop-1')).toEqual(['subvolume', 'delete', '--', '/srv/.backstop-snapshots/backstop-1']);
  });
});

describe('LVM', () => {
  const lvsJson = (segtype: string) => JSON.stringify({ report: [{ lv: [{ vg_name: 'vg0', lv_name: 'data', segtype, lv_attr: '-wi-ao----' }] }] });
  it('reads which logical volume a device is, classic or thin', () => {
    expect(lvsArgs('/dev/mapper/vg0-data')).toEqual(['--reportformat', 'json', '--noheadings', '--options', 'vg_name,lv_name,segtype,lv_attr', '--', '/dev/mapper/vg0-data']);
    expect(parseLvs(lvsJson('linear'))).toEqual({ vg: 'vg0', lv: 'data', thin: false });
    expect(parseLvs(lvsJson('thin'))).toEqual({ vg: 'vg0', lv: 'data', thin: true });
    expect(parseLvs('{"report":[{"lv":[]}]}')).toBeNull();
  });
  it('sizes classic snapshots from the origin and leaves thin ones to the pool', () => {
    expect(lvm.create({ vg: 'vg0', lv: 'data', thin: false }, 'backstop-1', 20)).toEqual(['--snapshot', '--extents', '20%ORIGIN', '--name', 'backstop-1', '--', 'vg0/data']);
    expect(lvm.create({ vg: 'vg0', lv: 'data', thin: true }, 'backstop-1', 20)).toEqual(['--snapshot', '--setactivationskip', 'n', '--name', 'backstop-1', '--', 'vg0/data']);
    expect(lvm.activate('vg0', 'backstop-1')).toEqual(['--activate', 'y', '--ignoreactivationskip', '--', 'vg0/backstop-1']);
    expect(lvm.remove('vg0', 'backstop-1')).toEqual(['--yes', '--', 'vg0/backstop-1']);
  });
  it.each([
    ['xfs', 'ro,nouuid'],
    ['ext4', 'ro,noload'],
    ['btrfs', 'ro'],
  ])('mounts a %s snapshot read-only (%s)', (fstype, options) => {
    expect(mountSnapshotArgs('/dev/vg0/backstop-1', '/m', fstype)).toEqual(['-t', fstype, '-o', options, '--', '/dev/vg0/backstop-1', '/m']);
  });
});

describe('ZFS', () => {
  it('snapshots a dataset and reads it under .zfs/snapshot', () => {
    expect(zfs.snapshot('tank/www', 'backstop-1')).toEqual(['snapshot', '--', 'tank/www@backstop-1']);
    expect(zfs.destroy('tank/www', 'backstop-1')).toEqual(['destroy', '--', 'tank/www@backstop-1']);
    expect(zfs.readRoot('/srv/www', 'backstop-1')).toBe('/srv/www/.zfs/snapshot/backstop-1');
    expect(zfs.readRoot('/', 'backstop-1')).toBe('/.zfs/snapshot/backstop-1');
  });
});

describe('inMountNamespace', () => {
  it('runs the command as it is without binds', () => {
    expect(inMountNamespace([], 'restic', ['backup'])).toEqual({ command: 'restic', args: ['backup'] });
  });
  it('binds each frozen copy over its original in a private namespace, paths as arguments', () => {
    const { command, args } = inMountNamespace([{ snapshot: '/s/.backstop-snapshots/b/www', original: '/s/www' }, { snapshot: "/m/it's", original: '/x;rm -rf /' }], 'restic', ['backup', '--', '/s/www']);
    expect(command).toBe('unshare');
    expect(args.slice(0, 4)).toEqual(['--mount', '--propagation', 'private', 'sh']);
    const script = args[5]!;
    expect(script).not.toContain('/s/www');
    expect(args.slice(6)).toEqual(['backstop-snapshot', '/s/.backstop-snapshots/b/www', '/s/www', "/m/it's", '/x;rm -rf /', '--', 'restic', 'backup', '--', '/s/www']);
  });
});
