import { runCli } from '../test/support/cli-harness';
import { describeExport, guestExportRequest } from './guest-nbd-export';

const EXPORT_ID = '0f8e2a4c-1111-4222-8333-444455556666';
const base = { exportId: EXPORT_ID, runId: EXPORT_ID, workflowId: 'restore/5/x', snapshotId: 'abcdef1234', disk: 'scsi0', target: '/restores/vm.raw', writable: false, nbdUri: null, bytesRestored: null, attempts: 0, expiresAt: null, startedAt: '2026-12-03T12:00:00Z', endReason: null, failureReason: null };
const up = { ...base, state: 'exported', nbdUri: 'nbd+unix:///scsi0?socket=/s/x.sock', bytesRestored: 4096, attempts: 1 };

describe('guest disk NBD export commands', () => {
  it('builds the request from the flags given only', () => {
    expect(guestExportRequest({ disk: 'scsi0', target: '/restores/vm.raw' })).toEqual({ target: '/restores/vm.raw' });
    expect(guestExportRequest({ disk: 'scsi0', target: '/restores/vm.raw', writable: true, ttl: 600, agent: 'pve2' })).toEqual({ target: '/restores/vm.raw', writable: true, ttlSeconds: 600, agent: 'pve2' });
  });

  it('describes an export: where it is served, or how it ended', () => {
    expect(describeExport(up as never)).toBe(`export ${EXPORT_ID} of disk scsi0 (/restores/vm.raw, read-only): exported at nbd+unix:///scsi0?socket=/s/x.sock`);
    expect(describeExport({ ...base, state: 'ended', endReason: 'failed', failureReason: 'restore target exists' } as never)).toContain('ended (failed: restore target exists)');
  });

  it('guest-export --wait posts the request, then asks until the disk is exported', async () => {
    const r = await runCli(['snapshots', 'guest-export', 'abcdef12', '--disk', 'scsi0', '--target', '/restores/vm.raw', '--writable', '--ttl', '10m', '--wait'], {
      'POST /v1/snapshots/abcdef12/guest-disks/scsi0/export': [202, { ...base, writable: true, state: 'starting' }],
      [`GET /v1/snapshots/abcdef12/guest-disks/scsi0/export/${EXPORT_ID}?waitSeconds=60`]: { ...up, writable: true },
    });
    expect(r.code).toBe(0);
    expect(r.calls[0]!.body).toEqual({ target: '/restores/vm.raw', writable: true, ttlSeconds: 600 });
    expect(r.stdout).toContain('writable): exported at nbd+unix:///scsi0?socket=/s/x.sock');
  });

  it('guest-export-status and guest-export-release name the export; a failed export exits non-zero', async () => {
    const status = await runCli(['snapshots', 'guest-export-status', 'abcdef12', EXPORT_ID, '--disk', 'scsi0'], { [`GET /v1/snapshots/abcdef12/guest-disks/scsi0/export/${EXPORT_ID}?waitSeconds=0`]: up });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('exported at');
    const released = await runCli(['snapshots', 'guest-export-release', 'abcdef12', EXPORT_ID, '--disk', 'scsi0'], { [`DELETE /v1/snapshots/abcdef12/guest-disks/scsi0/export/${EXPORT_ID}?waitSeconds=60`]: { ...base, state: 'ended', endReason: 'released' } });
    expect(released.code).toBe(0);
    expect(released.stdout).toContain('ended (released)');
    const failed = await runCli(['snapshots', 'guest-export-status', 'abcdef12', EXPORT_ID, '--disk', 'scsi0'], { [`GET /v1/snapshots/abcdef12/guest-disks/scsi0/export/${EXPORT_ID}?waitSeconds=0`]: { ...base, state: 'ended', endReason: 'failed', failureReason: 'boom' } });
    expect(failed.code).not.toBe(0);
  });
});
