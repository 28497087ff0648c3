import type { SnapshotMountStatus } from '../../contract/snapshot-mount';
import { notMountedDetail } from './snapshot-mount';

const id = 'abcdef0123456789';
const ended = (over: Partial<SnapshotMountStatus>): SnapshotMountStatus => ({
  mountId: 'm',
  snapshotId: id,
  state: 'ended',
  path: null,
  expiresAt: '2026-12-02T00:00:00.000Z',
  startedAt: '2026-12-02T00:00:00.000Z',
  attempts: 1,
  endReason: 'unmounted',
  failureReason: null,
  ...over,
});

test('a GET that finds no mount says why: never mounted, being unmounted, or how the last one ended', () => {
  expect(notMountedDetail(id, null)).toBe('snapshot abcdef01 is not mounted');
  expect(notMountedDetail(id, ended({ state: 'unmounting' }))).toBe('snapshot abcdef01 is not mounted: its mount is being unmounted');
  expect(notMountedDetail(id, ended({}))).toBe('snapshot abcdef01 is not mounted: its last mount ended (unmounted)');
  expect(notMountedDetail(id, ended({ endReason: 'failed', failureReason: 'fusermount missing' }))).toBe(
    'snapshot abcdef01 is not mounted: its last mount ended (failed: fusermount missing)',
  );
});
