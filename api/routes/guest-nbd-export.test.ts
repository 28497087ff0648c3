import { defaultPayloadConverter } from '@temporalio/common';
import { closedWithout, exportBody, restoringBytes, startingStatus } from './guest-nbd-export';

const EXPORT_ID = '0f8e2a4c-1111-4222-8333-444455556666';
const input = { snapshot: { id: 'abcdef1234', repositoryId: 1, jobId: 5, paths: ['/stage'] }, disk: 'scsi0', target: '/restores/vm.raw', writable: true };

describe('guest NBD export answers', () => {
  it('answers a new export as starting, its run id being its export id', () => {
    const s = startingStatus(EXPORT_ID, input, new Date('2026-12-03T12:00:00Z'));
    expect(exportBody('restore/5/x', s)).toEqual({
      exportId: EXPORT_ID, runId: EXPORT_ID, workflowId: 'restore/5/x', snapshotId: 'abcdef1234', disk: 'scsi0', target: '/restores/vm.raw', writable: true,
      state: 'starting', nbdUri: null, bytesRestored: null, attempts: 0, expiresAt: null, startedAt: '2026-12-03T12:00:00.000Z', endReason: null, failureReason: null,
    });
  });

  it("shows a workflow that closed without its result as ended, with the run's reason", () => {
    const at = new Date('2026-12-03T12:00:00Z');
    expect(closedWithout({ id: EXPORT_ID, status: 'failed', failureReason: null }, 'abcdef1234', 'scsi0', 'TERMINATED', at)).toMatchObject({ state: 'ended', endReason: 'failed', failureReason: "the export's workflow ended terminated" });
    expect(closedWithout({ id: EXPORT_ID, status: 'failed', failureReason: 'agent unreachable' }, 'abcdef1234', 'scsi0', 'TIMED_OUT', at).failureReason).toBe('agent unreachable');
    expect(closedWithout({ id: EXPORT_ID, status: 'cancelled', failureReason: null }, 'abcdef1234', 'scsi0', 'CANCELLED', at)).toMatchObject({ endReason: 'cancelled', failureReason: null });
  });

  it("reads the bytes restored so far from the restore step's heartbeat", () => {
    const hb = defaultPayloadConverter.toPayload({ phase: 'restoring', disk: 'scsi0', bytesWritten: 3 * 1024 * 1024 });
    expect(restoringBytes([{ activityType: { name: 'checkGuestRestoreTarget' } }, { activityType: { name: 'restoreGuestSnapshot' }, heartbeatDetails: { payloads: [hb] } }])).toBe(3 * 1024 * 1024);
    expect(restoringBytes([{ activityType: { name: 'restoreGuestSnapshot' } }])).toBeNull();
    expect(restoringBytes(undefined)).toBeNull();
  });
});
