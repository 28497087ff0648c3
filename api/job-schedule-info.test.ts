import { scheduleInfoOf } from './job-schedule-info';

describe('scheduleInfoOf', () => {
  it('reads the interval from the gap between the next two fire times', () => {
    expect(scheduleInfoOf({ paused: false, nextRuns: ['2026-11-25T02:00:00.000Z', '2026-11-26T02:00:00.000Z', '2026-11-27T02:00:00.000Z'] })).toEqual({
      intervalMs: 24 * 3_600_000,
      nextRunAt: '2026-11-25T02:00:00.000Z',
    });
  });

  it('knows the next run but no interval from a single fire time', () => {
    expect(scheduleInfoOf({ paused: false, nextRuns: ['2026-11-25T02:00:00.000Z'] })).toEqual({ intervalMs: null, nextRunAt: '2026-11-25T02:00:00.000Z' });
  });

  it('says nothing for a paused schedule or none: such a job is never stale', () => {
    expect(scheduleInfoOf({ paused: true, nextRuns: ['2026-11-25T02:00:00.000Z', '2026-11-26T02:00:00.000Z'] })).toEqual({ intervalMs: null, nextRunAt: null });
    expect(scheduleInfoOf(null)).toEqual({ intervalMs: null, nextRunAt: null });
  });
});
