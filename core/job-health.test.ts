import { jobHealth, parseStaleAfterIntervals, type JobRunSummary } from './job-health';

const HOUR = 3_600_000;
const now = new Date('2026-11-24T12:00:00Z');
const none: JobRunSummary = { lastSuccessAt: null, lastFailureAt: null, lastRunStatus: null };
const base = { createdAt: '2026-11-01T00:00:00Z', nextRunAt: null, now, staleAfterIntervals: 2 };

describe('jobHealth', () => {
  it('is never stale without a schedule, however old the last success', () => {
    const h = jobHealth({ ...base, runs: { ...none, lastSuccessAt: '2020-01-01T00:00:00Z', lastRunStatus: 'succeeded' }, scheduleIntervalMs: null });
    expect(h).toEqual({ lastSuccessAt: '2020-01-01T00:00:00Z', lastFailureAt: null, lastRunStatus: 'succeeded', nextRunAt: null, stale: false });
  });

  it('is fresh within N intervals of the last success', () => {
    const runs = { ...none, lastSuccessAt: '2026-11-24T10:30:00Z', lastRunStatus: 'succeeded' as const };
    expect(jobHealth({ ...base, runs, scheduleIntervalMs: HOUR }).stale).toBe(false);
  });

  it('is stale after more than N intervals without a success, failures or not', () => {
    const runs = { lastSuccessAt: '2026-11-24T09:59:59Z', lastFailureAt: '2026-11-24T11:00:00Z', lastRunStatus: 'failed' as const };
    const h = jobHealth({ ...base, runs, scheduleIntervalMs: HOUR, nextRunAt: '2026-11-24T13:00:00Z' });
    expect(h).toMatchObject({ stale: true, lastRunStatus: 'failed', nextRunAt: '2026-11-24T13:00:00Z' });
  });

  it('is not stale at exactly N intervals', () => {
    const runs = { ...none, lastSuccessAt: '2026-11-24T10:00:00Z' };
    expect(jobHealth({ ...base, runs, scheduleIntervalMs: HOUR }).stale).toBe(false);
  });

  it('counts from creation for a job that never succeeded', () => {
    expect(jobHealth({ ...base, runs: none, scheduleIntervalMs: HOUR }).stale).toBe(true);
    expect(jobHealth({ ...base, createdAt: '2026-11-24T11:00:00Z', runs: none, scheduleIntervalMs: HOUR }).stale).toBe(false);
  });

  it('follows N', () => {
    const runs = { ...none, lastSuccessAt: '2026-11-24T06:00:00Z' };
    expect(jobHealth({ ...base, runs, scheduleIntervalMs: HOUR, staleAfterIntervals: 5 }).stale).toBe(true);
    expect(jobHealth({ ...base, runs, scheduleIntervalMs: HOUR, staleAfterIntervals: 7 }).stale).toBe(false);
  });
});

describe('parseStaleAfterIntervals', () => {
  it('defaults to 2 and reads positive numbers', () => {
    expect(parseStaleAfterIntervals(undefined)).toBe(2);
    expect(parseStaleAfterIntervals('3')).toBe(3);
    expect(parseStaleAfterIntervals('1.5')).toBe(1.5);
  });

  it.each(['0', '-1', 'two', '1e3'])('refuses %s', (raw) => {
    expect(() => parseStaleAfterIntervals(raw)).toThrow(/BACKSTOP_STALE_AFTER_INTERVALS/);
  });
});
