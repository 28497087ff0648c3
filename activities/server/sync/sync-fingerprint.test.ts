import { syncFingerprint } from './sync-activities';

describe('sync progress fingerprint', () => {
  it('for a sync, move with bytes and objects, not with elapsed time', () => {
    const s = { bytes: 10, totalBytes: 100, transfers: 1, totalTransfers: 10, checks: 0, deletes: 0, errors: 0, listed: 5, elapsedSeconds: 1 };
    expect(syncFingerprint({ ...s, elapsedSeconds: 300 })).toBe(syncFingerprint(s));
    expect(syncFingerprint({ ...s, checks: 1 })).not.toBe(syncFingerprint(s));
    expect(syncFingerprint(null)).toBe('');
  });
});
