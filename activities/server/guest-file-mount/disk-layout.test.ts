import { DiskLayoutError, blkidArgs, isExtendedPartition, loopsBackedIn, losetupAttachArgs, mountArgs, mountOptions, parseBlkidExport, parseLosetupList, parseSfdiskJson, planFilesystems, probeOf } from './disk-layout';

// Captured from sfdisk 2.38 (Debian 12) on image files.
const MBR_WITH_LOGICAL = JSON.stringify({
  partitiontable: {
    label: 'dos',
    id: '0x80a028e3',
    device: 'e.img',
    unit: 'sectors',
    sectorsize: 512,
    partitions: [
      { node: 'e.img1', start: 2048, size: 10240, type: '83' },
      { node: 'e.img2', start: 12288, size: 28672, type: '5' },
      { node: 'e.img5', start: 14336, size: 4096, type: '82' },
    ],
  },
});
const GPT = JSON.stringify({
  partitiontable: {
    label: 'gpt',
    device: 'g.img',
    unit: 'sectors',
    firstlba: 2048,
    lastlba: 81886,
    sectorsize: 512,
    partitions: [
      { node: 'g.img1', start: 2048, size: 20480, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', uuid: '69C0' },
      { node: '/dev/loop0p2', start: 22528, size: 57344, type: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', uuid: 'DECB' },
    ],
  },
});

describe('blkid', () => {
  it('parses -o export lines', () => {
    expect(parseBlkidExport('DEVNAME=disk.img\nUUID=ebdd95b0\nVERSION=1.0\nBLOCK_SIZE=1024\nTYPE=ext4\nUSAGE=filesystem\n')).toEqual({ DEVNAME: 'disk.img', UUID: 'ebdd95b0', VERSION: '1.0', BLOCK_SIZE: '1024', TYPE: 'ext4', USAGE: 'filesystem' });
  });

  it('probes the file itself, or a byte range of it, after --', () => {
    expect(blkidArgs('/s/m.raw', null)).toEqual(['-p', '-o', 'export', '--', '/s/m.raw']);
    expect(blkidArgs('/s/m.raw', { offset: 1048576, size: 2097152 })).toEqual(['-p', '-o', 'export', '-O', '1048576', '-S', '2097152', '--', '/s/m.raw']);
  });

  it('tells a filesystem, a partition table, something unmountable and nothing apart', () => {
    expect(probeOf({ TYPE: 'ext4', USAGE: 'filesystem' })).toEqual({ kind: 'filesystem', fsType: 'ext4' });
    expect(probeOf({ PTUUID: 'e28a1822', PTTYPE: 'dos' })).toEqual({ kind: 'table', label: 'dos' });
    expect(probeOf({ TYPE: 'swap', USAGE: 'other' })).toEqual({ kind: 'other', what: 'swap (other)' });
    expect(probeOf({ TYPE: 'crypto_LUKS', USAGE: 'crypto' })).toEqual({ kind: 'other', what: 'crypto_LUKS (crypto)' });
    expect(probeOf(null)).toEqual({ kind: 'nothing' });
  });
});

describe('sfdisk --json', () => {
  it('gives MBR partitions in bytes, numbered by their nodes (logical ones from 5)', () => {
    const t = parseSfdiskJson(MBR_WITH_LOGICAL);
    expect(t.label).toBe('dos');
    expect(t.partitions).toEqual([
      { number: 1, offset: 2048 * 512, size: 10240 * 512, type: '83' },
      { number: 2, offset: 12288 * 512, size: 28672 * 512, type: '5' },
      { number: 5, offset: 14336 * 512, size: 4096 * 512, type: '82' },
    ]);
    expect(t.partitions.map(isExtendedPartition)).toEqual([false, true, false]);
  });

  it('gives GPT partitions (device nodes named pN too)', () => {
    expect(parseSfdiskJson(GPT).partitions.map((p) => [p.number, p.offset, p.size])).toEqual([
      [1, 2048 * 512, 20480 * 512],
      [2, 22528 * 512, 57344 * 512],
    ]);
  });

  it('refuses what is not a table', () => {
    expect(() => parseSfdiskJson('')).toThrow(DiskLayoutError);
    expect(() => parseSfdiskJson('{}')).toThrow('no partition table');
    expect(() => parseSfdiskJson(JSON.stringify({ partitiontable: { unit: 'sectors', partitions: [{ node: 'x1', type: '83' }] } }))).toThrow('without start and size');
  });
});

describe('planFilesystems', () => {
  const SIZE = 64 << 20;
  it('mounts the whole disk when it holds a filesystem', () => {
    expect(planFilesystems('scsi0', SIZE, { kind: 'filesystem', fsType: 'ext4' }, null)).toEqual([{ name: 'disk', partition: null, fsType: 'ext4', offset: 0, size: SIZE }]);
  });

  it('else each partition with a filesystem, skipping extended ones and swap', () => {
    const parts = parseSfdiskJson(MBR_WITH_LOGICAL).partitions;
    const plans = planFilesystems('scsi0', SIZE, { kind: 'table', label: 'dos' }, [
      { partition: parts[0]!, probe: { kind: 'filesystem', fsType: 'ext4' } },
      { partition: parts[1]!, probe: { kind: 'nothing' } },
      { partition: parts[2]!, probe: { kind: 'other', what: 'swap (other)' } },
    ]);
    expect(plans).toEqual([{ name: 'p1', partition: 1, fsType: 'ext4', offset: 2048 * 512, size: 10240 * 512 }]);
  });

  it('says why there is nothing to mount', () => {
    expect(() => planFilesystems('scsi1', SIZE, { kind: 'nothing' }, null)).toThrow('no filesystem found on disk scsi1: neither a filesystem nor a partition table');
    expect(() => planFilesystems('scsi1', SIZE, { kind: 'other', what: 'LVM2_member (raid)' }, null)).toThrow('no filesystem found on disk scsi1: it holds LVM2_member (raid)');
    expect(() => planFilesystems('scsi1', SIZE, { kind: 'table', label: 'gpt' }, [])).toThrow('no filesystem found on disk scsi1: its gpt partition table is empty');
    const parts = parseSfdiskJson(GPT).partitions;
    expect(() =>
      planFilesystems('scsi1', SIZE, { kind: 'table', label: 'gpt' }, [
        { partition: parts[0]!, probe: { kind: 'nothing' } },
        { partition: parts[1]!, probe: { kind: 'other', what: 'swap (other)' } },
      ]),
    ).toThrow('no filesystem found on disk scsi1: partition 1: no filesystem; partition 2: swap (other)');
  });
});

describe('command lines', () => {
  it('mounts read-only, without devices, setuid or exec, and never replays a journal', () => {
    expect(mountOptions('ext4')).toBe('ro,nodev,nosuid,noexec,noload');
    expect(mountOptions('ext3')).toBe('ro,nodev,nosuid,noexec,noload');
    expect(mountOptions('xfs')).toBe('ro,nodev,nosuid,noexec,norecovery,nouuid');
    expect(mountOptions('btrfs')).toBe('ro,nodev,nosuid,noexec,rescue=nologreplay');
    expect(mountOptions('vfat')).toBe('ro,nodev,nosuid,noexec');
    expect(mountArgs('ext4', '/dev/loop3', '/m/x/p1')).toEqual(['-t', 'ext4', '-o', 'ro,nodev,nosuid,noexec,noload', '--', '/dev/loop3', '/m/x/p1']);
  });

  it('attaches read-only, a partition by offset and size limit', () => {
    expect(losetupAttachArgs('/s/m.raw', null)).toEqual(['--find', '--show', '--read-only', '--', '/s/m.raw']);
    expect(losetupAttachArgs('/s/m.raw', { offset: 1048576, size: 5242880 })).toEqual(['--find', '--show', '--read-only', '--offset', '1048576', '--sizelimit', '5242880', '--', '/s/m.raw']);
  });

  it("lists loop devices by backing file, a deleted one's too", () => {
    // Captured from losetup 2.38 --json --list --output NAME,BACK-FILE.
    const list = parseLosetupList(
      JSON.stringify({
        loopdevices: [
          { name: '/dev/loop1', 'back-file': '/data/server/guest-scratch/a.raw (deleted)' },
          { name: '/dev/loop0', 'back-file': '/data/server/guest-scratch/b.raw' },
          { name: '/dev/loop2', 'back-file': '/data/server/guest-scratch/sub/c.raw' },
          { name: '/dev/loop3', 'back-file': '/elsewhere/a.raw' },
        ],
      }),
    );
    expect(list[0]).toEqual({ device: '/dev/loop1', backFile: '/data/server/guest-scratch/a.raw', deleted: true });
    expect(loopsBackedIn(list, '/data/server/guest-scratch')).toEqual(['/dev/loop1', '/dev/loop0']);
    expect(loopsBackedIn(list, '/data/server/guest-scratch/', 'a.raw')).toEqual(['/dev/loop1']);
    expect(parseLosetupList('')).toEqual([]);
    expect(parseLosetupList('{"loopdevices":[]}')).toEqual([]);
  });
});
