import { parentFromDetails } from './guest-activities';
import type { GuestManifest } from '../../contract/guest';

const manifest: GuestManifest = { version: 1, jobId: 4, runId: 'r1', frozenAt: '2026-12-03T10:00:00.000Z', stageRoot: '/s', disks: [], config: [] };

describe('parentFromDetails', () => {
  it('is the last guest backup with the manifest its details carry', () => {
    expect(parentFromDetails({ runId: 'r1', snapshotId: 'abc', details: { guest: { manifest } } })).toEqual({ runId: 'r1', snapshotId: 'abc', manifest });
  });

  it('is none before the first backup, and for details without a version 1 manifest (then a full read)', () => {
    expect(parentFromDetails(null)).toBeNull();
    expect(parentFromDetails({ runId: 'r1', snapshotId: 'abc', details: { guest: {} } })).toBeNull();
    expect(parentFromDetails({ runId: 'r1', snapshotId: 'abc', details: { guest: { manifest: { ...manifest, version: 2 } } } })).toBeNull();
  });
});
