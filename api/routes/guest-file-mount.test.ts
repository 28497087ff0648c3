import type { GuestFileMountStatus } from '../../contract/guest-file-mount';
import { notMountedGuestDetail } from './guest-file-mount';

const id = 'abcdef0123456789';
const ended = (over: Partial<GuestFileMountStatus>): GuestFileMountStatus => ({
  mountId: 'm',
  snapshotId: id,
  disk: 'scsi0',
  state: 'ended',
  filesystems: [],
  expiresAt: '2026-12-02T00:00:00.000Z',
  startedAt: '2026-12-02T00:00:00.000Z',
  attempts: 1,
  endReason: 'unmounted',
  failureReason: null,
  ...over,
});

test('a GET that finds no guest disk mount says why: never mounted, being unmounted, or how the last one ended', () => {
  expect(notMountedGuestDetail(id, 'scsi0', null)).toBe('disk scsi0 of snapshot abcdef01 is not mounted');
  expect(notMountedGuestDetail(id, 'scsi0', ended({ state: 'unmounting' }))).toBe('disk scsi0 of snapshot abcdef01 is not mounted: its mount is being unmounted');
  expect(notMountedGuestDetail(id, 'scsi0', ended({ endReason: 'failed', failureReason: 'no filesystem found on disk scsi0: it holds swap (other)' }))).toBe(
    'disk scsi0 of snapshot abcdef01 is not mounted: its last mount ended (failed: no filesystem found on disk scsi0: it holds swap (other))',
  );
});
