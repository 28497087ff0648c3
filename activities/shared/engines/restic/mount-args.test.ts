import { MOUNT_PATH_TEMPLATE, mountArgs, snapshotPathInMount } from './mount-args';

const id = 'ab'.repeat(32);

test('restic mount: one path template (full ids), the mount point after --', () => {
  expect(mountArgs('/var/lib/backstop/server/mounts/m1')).toEqual(['mount', '--path-template', 'ids/%I', '--', '/var/lib/backstop/server/mounts/m1']);
  expect(mountArgs('/m')).toContain(MOUNT_PATH_TEMPLATE);
});

test('a mount point that starts with "-" is not read as a flag', () => {
  const args = mountArgs('-weird');
  expect(args.indexOf('--')).toBe(args.indexOf('-weird') - 1);
});

test('the snapshot is at <mount point>/ids/<full id>', () => {
  expect(snapshotPathInMount('/d/mounts/m1', id)).toBe(`/d/mounts/m1/ids/${id}`);
  expect(snapshotPathInMount('/d/mounts/m1/', id)).toBe(`/d/mounts/m1/ids/${id}`);
});

test('only a full snapshot id names a path (a prefix or a path would not be where restic puts it)', () => {
  expect(() => snapshotPathInMount('/m', id.slice(0, 8))).toThrow(RangeError);
  expect(() => snapshotPathInMount('/m', '../../etc')).toThrow(RangeError);
});
