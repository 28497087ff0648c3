import { lazyUnmountCommands, mountPoints, mountsAt } from './mount-table';

// Captured from /proc/self/mountinfo with a restic mount up (and a path with a space).
const MOUNTINFO = [
  '25 1 0:23 / / rw,relatime shared:1 - overlay overlay rw',
  '26 25 0:24 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw',
  '812 25 0:61 / /var/lib/backstop/server/mounts/3f2a rw,nosuid,nodev,relatime shared:400 - fuse restic rw,user_id=0,group_id=0',
  '813 25 0:62 / /srv/with\\040space rw,relatime shared:401 - tmpfs tmpfs rw',
  '',
].join('\n');

test('mount points are field 5, octal escapes undone', () => {
  expect(mountPoints(MOUNTINFO)).toEqual(['/', '/proc', '/var/lib/backstop/server/mounts/3f2a', '/srv/with space']);
});

test('mountsAt counts mounts on exactly that path (stacked ones each)', () => {
  expect(mountsAt(MOUNTINFO, '/var/lib/backstop/server/mounts/3f2a')).toBe(1);
  expect(mountsAt(MOUNTINFO, '/var/lib/backstop/server/mounts/3f2a/')).toBe(1);
  expect(mountsAt(MOUNTINFO, '/var/lib/backstop/server/mounts')).toBe(0);
  expect(mountsAt(MOUNTINFO + MOUNTINFO, '/srv/with space')).toBe(2);
});

test('lazy unmount: fusermount3 -u -z first, then umount -l; the path after --', () => {
  expect(lazyUnmountCommands('/m/x')).toEqual([
    { command: 'fusermount3', args: ['-u', '-z', '--', '/m/x'] },
    { command: 'umount', args: ['-l', '--', '/m/x'] },
  ]);
});
