import { observeAgent, observeDrills, observeJob, scheduleIntervalMs, turnedBad } from './watch';
import { DRILL_STALE_GRACE_MS } from '../../../core/drill';

const now = new Date('2026-12-03T12:00:00.000Z');
const hour = 3_600_000;

describe('health watch', () => {
  it('calls an unreachable agent bad from its last heartbeat on, a revoked one never', () => {
    expect(observeAgent({ name: 'web-1', status: 'unreachable', lastSeenAt: '2026-12-03T11:00:00.000Z', createdAt: '2026-12-01T00:00:00.000Z' })).toEqual({
      subject: 'agent:web-1',
      event: 'agent.unreachable',
      bad: true,
      since: '2026-12-03T11:00:00.000Z',
      jobId: null,
      repositoryId: null,
      agent: 'web-1',
    });
    expect(observeAgent({ name: 'web-1', status: 'revoked', lastSeenAt: null, createdAt: '2026-12-01T00:00:00.000Z' }).bad).toBe(false);
    expect(observeAgent({ name: 'new', status: 'unreachable', lastSeenAt: null, createdAt: '2026-12-01T00:00:00.000Z' }).since).toBe('2026-12-01T00:00:00.000Z');
  });

  it('calls a job stale after N intervals without a success, never without a running schedule', () => {
    const job = { id: 7, repositoryId: 3, createdAt: '2026-11-01T00:00:00.000Z' };
    const runs = { lastSuccessAt: '2026-12-03T09:00:00.000Z', lastFailureAt: null, lastRunStatus: 'failed' as const };
    expect(observeJob(job, runs, hour, now, 2)).toMatchObject({ subject: 'job:7', event: 'job.stale', bad: true, since: runs.lastSuccessAt, jobId: 7, repositoryId: 3 });
    expect(observeJob(job, runs, 2 * hour, now, 2).bad).toBe(false);
    expect(observeJob(job, runs, null, now, 2).bad).toBe(false);
    expect(scheduleIntervalMs(false, ['2026-12-03T13:00:00.000Z', '2026-12-03T14:00:00.000Z'])).toBe(hour);
    expect(scheduleIntervalMs(true, ['2026-12-03T13:00:00.000Z', '2026-12-03T14:00:00.000Z'])).toBeNull();
    expect(scheduleIntervalMs(false, ['2026-12-03T13:00:00.000Z'])).toBeNull();
  });

  it('calls a job\'s drills stale once its last passing drill is older than its limit; a new pass starts a new spell', () => {
    const job = { id: 7, repositoryId: 3, createdAt: '2026-11-01T00:00:00.000Z' };
    const day = 24 * hour;
    const passedAt = new Date(now.getTime() - 7 * day - DRILL_STALE_GRACE_MS - 1).toISOString();
    const runs = { lastDrill: { runId: 'r', outcome: 'failed' as const, at: now.toISOString() }, lastPassAt: passedAt, runningSince: null };
    const o = observeDrills(job, runs, 7, now);
    expect(o).toEqual({ subject: 'drill:7', event: 'drill.stale', bad: true, since: passedAt, jobId: 7, repositoryId: 3, agent: null });
    expect(observeDrills(job, runs, 8, now).bad).toBe(false);
    expect(observeDrills(job, { ...runs, runningSince: now.toISOString() }, 7, now).bad).toBe(false);
    expect(observeDrills(job, { lastDrill: null, lastPassAt: null, runningSince: null }, 7, now)).toMatchObject({ bad: true, since: job.createdAt });
    // Raised once for this spell; a pass in between and a new staleness is another.
    expect(turnedBad(new Map([['drill:7', { bad: true, since: passedAt }]]), [o])).toEqual([]);
    expect(turnedBad(new Map([['drill:7', { bad: true, since: job.createdAt }]]), [o])).toEqual([o]);
  });

  it('raises once per change of state', () => {
    const bad = observeAgent({ name: 'a', status: 'unreachable', lastSeenAt: '2026-12-03T11:00:00.000Z', createdAt: '2026-12-01T00:00:00.000Z' });
    const good = { ...bad, bad: false };
    const seen = (b: boolean, since = bad.since) => new Map([['agent:a', { bad: b, since }]]);
    expect(turnedBad(new Map(), [bad])).toEqual([bad]);
    expect(turnedBad(seen(false), [bad])).toEqual([bad]);
    expect(turnedBad(seen(true), [bad])).toEqual([]);
    // Same instant written another way (the catalog's timestamps come back normalized).
    expect(turnedBad(seen(true, '2026-12-03T12:00:00+01:00'), [bad])).toEqual([]);
    expect(turnedBad(seen(true), [good])).toEqual([]);
    expect(turnedBad(new Map(), [good])).toEqual([]);
    // Back and gone again between two looks: a new spell.
    expect(turnedBad(seen(true, '2026-12-03T10:00:00.000Z'), [bad])).toEqual([bad]);
  });
});
