import type { components } from '../../contract/generated/api-schema';
import { formatIntervals, parseDuration, parseIntervals, scheduleBody, scheduleErrors } from './schedule-input';

type Schedule = components['schemas']['Schedule'];

const stored: Schedule = {
  scheduleId: 'prune-schedule/repository-1',
  kind: 'prune',
  cron: ['0 4 * * 0'],
  calendars: [],
  intervals: [{ everySeconds: 86_400, offsetSeconds: 10_800 }],
  timezone: 'Europe/Berlin',
  jitterSeconds: 60,
  overlap: 'buffer-one',
  catchupWindowSeconds: 600,
  pauseOnFailure: true,
  paused: false,
  note: null,
  workflowIdPrefix: 'prune/repository-1/scheduled',
  nextRuns: [],
};

describe('schedule intervals', () => {
  it('reads seconds, minutes, hours and days, with an optional offset', () => {
    expect([parseDuration('90'), parseDuration('90s'), parseDuration('15m'), parseDuration(' 6h '), parseDuration('1d'), parseDuration('6 weeks')]).toEqual([90, 90, 900, 21_600, 86_400, null]);
    expect(parseIntervals('6h, 1d+3h\n\n30m')).toEqual({ value: [{ everySeconds: 21_600 }, { everySeconds: 86_400, offsetSeconds: 10_800 }, { everySeconds: 1800 }] });
    expect(parseIntervals('  ')).toEqual({ value: [] });
    expect(parseIntervals('6h, often')).toEqual({ error: expect.stringContaining('"often" is not an interval') });
  });
  it('writes them back as it reads them', () => {
    const text = formatIntervals([{ everySeconds: 21_600 }, { everySeconds: 86_400, offsetSeconds: 10_800 }, { everySeconds: 90 }]);
    expect(text).toBe('6h, 1d+3h, 90s');
    expect(parseIntervals(text)).toEqual({ value: [{ everySeconds: 21_600 }, { everySeconds: 86_400, offsetSeconds: 10_800 }, { everySeconds: 90 }] });
  });
});

describe('schedule body', () => {
  it('sets cron and intervals from the form and keeps what the form does not show', () => {
    expect(scheduleBody(stored, ' 0 5 * * *\n\n', [])).toEqual({
      cron: ['0 5 * * *'],
      intervals: [],
      calendars: [],
      timezone: 'Europe/Berlin',
      jitterSeconds: 60,
      overlap: 'buffer-one',
      catchupWindowSeconds: 600,
      pauseOnFailure: true,
    });
    expect(scheduleBody(null, '', [{ everySeconds: 3600 }])).toEqual({ cron: [], intervals: [{ everySeconds: 3600 }] });
  });
});

describe('schedule errors', () => {
  it("puts the schedule check's problems at the field each names, the rest above the form", () => {
    const e = scheduleErrors({
      type: 'InputError',
      title: 'Input error',
      status: 400,
      detail: 'invalid schedule: cron[0] "not a cron": expected 5 fields; intervals[1].offsetSeconds must be an integer 0 ≤ offset < everySeconds; unknown timezone "Mars/Base"',
    });
    expect(e).toEqual({
      fields: { cron: ['cron[0] "not a cron": expected 5 fields'], intervals: ['intervals[1].offsetSeconds must be an integer 0 ≤ offset < everySeconds'] },
      general: 'invalid schedule: unknown timezone "Mars/Base"',
    });
  });
  it('keeps validation paths and other problems as every form does', () => {
    expect(scheduleErrors({ type: 'InputError', title: 'Invalid request', status: 400, errors: [{ path: 'body/intervals/0/everySeconds', message: 'must be >= 1' }] })).toEqual({
      fields: { intervals: ['must be >= 1'] },
      general: null,
    });
    expect(scheduleErrors({ type: 'ConflictError', title: 'Conflict', status: 409, detail: 'repository 1 has no S3 sync target' })).toEqual({ fields: {}, general: 'repository 1 has no S3 sync target' });
  });
});
