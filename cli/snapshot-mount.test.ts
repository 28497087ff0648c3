import { describeMount, mountRequest } from './snapshot-mount';

const base = { mountId: 'm', snapshotId: 'abcdef0123456789', workflowId: 'snapshot-mount/abcdef', startedAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-01T10:30:00.000Z', attempts: 1, endReason: null, failureReason: null };

test('--ttl takes durations', () => {
  expect(mountRequest(['--ttl', '45m', '--wait'])).toEqual({ ttlSeconds: 2_700 });
  expect(mountRequest(['--wait'])).toEqual({});
  expect(() => mountRequest(['--ttl', 'soon'])).toThrow(/duration must look like/);
});

test('one line per mount: where, and until when or why it ended', () => {
  expect(describeMount({ ...base, state: 'mounted', path: '/d/server/mounts/m/ids/abcdef' })).toBe('snapshot abcdef01: mounted at /d/server/mounts/m/ids/abcdef expires 2026-12-01T10:30:00.000Z');
  expect(describeMount({ ...base, state: 'starting', path: null })).toBe('snapshot abcdef01: starting expires 2026-12-01T10:30:00.000Z');
  expect(describeMount({ ...base, state: 'ended', path: null, endReason: 'expired' })).toBe('snapshot abcdef01: ended (expired)');
});
