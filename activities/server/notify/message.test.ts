import { buildMessage } from './message';
import type { Run } from '../../../contract/model';
import { NOTIFICATION_EVENTS } from '../../../contract/notifications';

const run: Run = {
  id: '4a1c7f5e-9a7b-4a7e-8f5e-0c6a8f3b2d11',
  jobId: 7,
  kind: 'backup',
  repositoryId: 3,
  agentName: 'web-1',
  workflowId: 'backup/7/2026-12-03T07:00:00Z',
  status: 'failed',
  snapshotId: null,
  stats: null,
  warnings: ['/etc/shadow: permission denied'],
  failureReason: 'engine failed on web-1: repository locked',
  details: null,
  startedAt: '2026-12-03T07:00:00.000Z',
  finishedAt: '2026-12-03T07:01:00.000Z',
  cancelledBy: null,
};
const job = { id: 7, name: 'home' };
const repository = { id: 3, name: 'main' };

describe('buildMessage', () => {
  it('says what failed, where and why', () => {
    const m = buildMessage({ event: 'run.failed', occurredAt: run.finishedAt!, run, job, repository });
    expect(m.title).toBe('Backup of job home on web-1 failed');
    expect(m.severity).toBe('error');
    expect(m.text).toContain('Reason: engine failed on web-1: repository locked');
    expect(m.text).toContain('Warnings: 1');
    expect(m.occurredAt).toBe('2026-12-03T07:01:00.000Z');
    expect(m.run).toEqual({
      id: run.id,
      kind: 'backup',
      status: 'failed',
      jobId: 7,
      jobName: 'home',
      agent: 'web-1',
      repositoryId: 3,
      snapshotId: null,
      failureReason: run.failureReason,
      warnings: 1,
      startedAt: run.startedAt,
      endedAt: run.finishedAt,
    });
    expect(m.job).toEqual(job);
    expect(m.agent).toEqual({ name: 'web-1' });
    expect(m.repository).toEqual(repository);
  });

  it('names a repository run by its repository', () => {
    const prune: Run = { ...run, kind: 'prune', jobId: null, agentName: null, status: 'failed' };
    const m = buildMessage({ event: 'prune.failed', occurredAt: run.finishedAt!, run: prune, job: null, repository });
    expect(m.title).toBe('Prune of repository main failed');
    expect(m.agent).toBeNull();
  });

  it('names a failed drill and a stale one by their job', () => {
    const drill: Run = { ...run, kind: 'drill', failureReason: 'restore drill failed: 1 of 6 sampled files did not come back intact: /srv/big.bin (pack missing)' };
    const failed = buildMessage({ event: 'drill.failed', occurredAt: run.finishedAt!, run: drill, job, repository });
    expect(failed).toMatchObject({ severity: 'error', title: 'Restore drill of job home on web-1 failed' });
    expect(failed.text).toContain('Reason: restore drill failed: 1 of 6 sampled files did not come back intact: /srv/big.bin');
    const stale = buildMessage({ event: 'drill.stale', occurredAt: run.finishedAt!, run: null, job, repository });
    expect(stale).toMatchObject({ severity: 'warning', title: 'Restore drills of job home are stale', run: null, job });
    expect(stale.text).toContain('POST /v1/jobs/7/drill');
  });

  it('builds a test message without a run', () => {
    const m = buildMessage({ event: 'test', occurredAt: '2026-12-03T07:02:00.000Z', run: null, job: null, repository: null });
    expect(m).toMatchObject({ event: 'test', severity: 'info', title: 'Backstop test notification', run: null, job: null, agent: null, repository: null });
  });

  it('gives every event a title and a severity', () => {
    for (const event of NOTIFICATION_EVENTS) {
      const m = buildMessage({ event, occurredAt: run.startedAt, run: event === 'job.stale' || event === 'agent.unreachable' || event === 'drill.stale' ? null : run, job, repository, agent: 'web-1' });
      expect(m.title.length).toBeGreaterThan(0);
      expect(['info', 'warning', 'error']).toContain(m.severity);
    }
  });
});
