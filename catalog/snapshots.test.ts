import { snapshotOwner } from './snapshots';

const prefixes = { jobPrefix: 'backstop-job:', runPrefix: 'backstop-run:' };

describe('snapshotOwner', () => {
  it('reads the job id and the run workflow id from the first tag with each prefix', () => {
    expect(snapshotOwner(['x', 'backstop-job:42', 'backstop-run:backup/42/2026-11-22T10:00:00Z', 'backstop-job:7'], prefixes)).toEqual({
      jobId: 42,
      runWorkflowId: 'backup/42/2026-11-22T10:00:00Z',
    });
  });

  it('names no job for a job tag that is not a positive integer of at most 15 digits', () => {
    for (const tag of ['0', '007', '-1', '1.5', 'abc', '', '1234567890123456']) {
      expect(snapshotOwner([`backstop-job:${tag}`], prefixes).jobId).toBeNull();
    }
    expect(snapshotOwner(['backstop-job:123456789012345'], prefixes).jobId).toBe(123456789012345);
  });

  it('names neither without the tags', () => {
    expect(snapshotOwner(['other'], prefixes)).toEqual({ jobId: null, runWorkflowId: null });
  });
});
