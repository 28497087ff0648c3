import { segmentIndexOf } from './guest-restore';

describe('segmentIndexOf', () => {
  it("names a segment of the disk by the dump's member path, with or without a leading ./ or /", () => {
    expect(segmentIndexOf('var/lib/backstop/guest/3/stage/scsi0/000000/0000000005', '/var/lib/backstop/guest/3/stage', 'scsi0')).toBe(5);
    expect(segmentIndexOf('/var/lib/backstop/guest/3/stage/scsi0/000001/0000001024', '/var/lib/backstop/guest/3/stage/', 'scsi0')).toBe(1024);
  });

  it('ignores other disks, the manifest, config files and malformed names', () => {
    const root = '/s';
    expect(segmentIndexOf('s/virtio1/000000/0000000005', root, 'scsi0')).toBeNull();
    expect(segmentIndexOf('s/manifest.json', root, 'scsi0')).toBeNull();
    expect(segmentIndexOf('s/scsi0/000000/5', root, 'scsi0')).toBeNull();
    // In the wrong group: not a name Backstop writes.
    expect(segmentIndexOf('s/scsi0/000001/0000000005', root, 'scsi0')).toBeNull();
    expect(segmentIndexOf('other/scsi0/000000/0000000005', root, 'scsi0')).toBeNull();
  });
});
