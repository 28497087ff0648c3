import { BackstopError, ErrorType } from '../contract/errors';
import { OverlapPolicy, backfillOverlap, SCHEDULE_DEFAULTS, TEMPORAL_OVERLAP, cronProblem, isKnownTimezone, normalizeSchedule, toCalendarSpec, toTemporalSpec, type ScheduleDefinition } from './schedule';

function refusal(def: ScheduleDefinition): BackstopError {
  try {
    normalizeSchedule(def);
  } catch (err) {
    return err as BackstopError;
  }
  throw new Error(`accepted ${JSON.stringify(def)}`);
}

describe('cronProblem', () => {
  it.each(['0 2 * * *', '*/15 * * * *', '0 0 1,15 * *', '30 4 * JAN-MAR mon-fri', '0 12 * * 0,7', '5-10/2 * * * *', '@daily', '@hourly'])('accepts %s', (expr) => {
    expect(cronProblem(expr)).toBeNull();
  });

  it.each([
    ['0 2 * *', /5 fields/],
    ['0 2 * * * *', /5 fields/],
    ['60 * * * *', /minute.*0–59/],
    ['0 24 * * *', /hour.*0–23/],
    ['0 0 0 * *', /day of month.*1–31/],
    ['0 0 * 13 *', /month.*1–12/],
    ['0 0 * * 8', /day of week.*0–7/],
    ['10-5 * * * *', /backwards/],
    ['*/0 * * * *', /step/],
    ['a b c d e', /not a value/],
    ['@every 5m', /intervals/],
    ['CRON_TZ=Europe/Berlin 0 2 * * *', /timezone/],
  ])('refuses %s', (expr, why) => {
    expect(cronProblem(expr)).toMatch(why);
  });
});

describe('isKnownTimezone', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+2'])('knows %s', (tz) => expect(isKnownTimezone(tz)).toBe(true));
  it.each(['Mars/Olympus', 'Europe/Berln', '+01:00', '', 'Europe/../Berlin'])('refuses %j', (tz) => expect(isKnownTimezone(tz)).toBe(false));
});

describe('normalizeSchedule', () => {
  it('fills in the defaults', () => {
    expect(normalizeSchedule({ cron: ['0 2 * * *'] })).toEqual({ cron: ['0 2 * * *'], calendars: [], intervals: [], ...SCHEDULE_DEFAULTS });
  });

  it('refuses a schedule with no times', () => {
    expect(refusal({ timezone: 'UTC' }).message).toMatch(/at least one cron expression, calendar or interval/);
  });

  it('names every problem at once, as an input error', () => {
    const err = refusal({ cron: ['0 25 * * *'], timezone: 'Nowhere/Town', intervals: [{ everySeconds: 0 }], catchupWindowSeconds: 5 });
    expect(err.type).toBe(ErrorType.input);
    expect(err.details?.problems).toHaveLength(4);
    expect(err.message).toMatch(/cron\[0\].*hour/);
    expect(err.message).toMatch(/unknown timezone "Nowhere\/Town"/);
  });

  it.each<[ScheduleDefinition, RegExp]>([
    [{ calendars: [{ hour: 24 }] }, /calendars\[0\]\.hour: values must be integers 0–23/],
    [{ calendars: [{ month: [0] }] }, /month: values must be integers 1–12/],
    [{ calendars: [{ dayOfWeek: [{ start: 5, end: 2 }] }] }, /runs backwards/],
    [{ calendars: [{ minute: [] }] }, /empty list/],
    [{ intervals: [{ everySeconds: 60, offsetSeconds: 60 }] }, /offsetSeconds/],
    [{ cron: ['@daily'], jitterSeconds: -1 }, /jitterSeconds/],
    [{ cron: ['@daily'], overlap: 'allow-all' as OverlapPolicy }, /overlap must be one of/],
  ])('refuses %j', (def, why) => {
    expect(refusal(def).message).toMatch(why);
  });
});

describe('backfillOverlap', () => {
  it('runs every backfilled time unless told otherwise', () => {
    expect(backfillOverlap(undefined)).toBe('BUFFER_ALL');
    expect(backfillOverlap('buffer-all')).toBe('BUFFER_ALL');
    for (const o of Object.values(OverlapPolicy)) expect(backfillOverlap(o)).toBe(TEMPORAL_OVERLAP[o]);
  });
});

describe('toTemporalSpec', () => {
  it('maps every overlap policy to a Temporal one, and each to a different one', () => {
    const seen = new Set<string>();
    for (const overlap of Object.values(OverlapPolicy)) {
      const { policies } = toTemporalSpec(normalizeSchedule({ cron: ['@daily'], overlap }));
      expect(policies.overlap).toBe(TEMPORAL_OVERLAP[overlap]);
      seen.add(String(policies.overlap));
    }
    expect([...seen].sort()).toEqual(['BUFFER_ONE', 'CANCEL_OTHER', 'SKIP']);
  });

  it('turns seconds into the milliseconds Temporal takes, and keeps the timezone', () => {
    const t = toTemporalSpec(
      normalizeSchedule({ cron: ['0 2 * * *'], intervals: [{ everySeconds: 5, offsetSeconds: 1 }], timezone: 'Europe/Berlin', jitterSeconds: 30, catchupWindowSeconds: 600, pauseOnFailure: true }),
    );
    expect(t.spec).toEqual({ cronExpressions: ['0 2 * * *'], intervals: [{ every: 5000, offset: 1000 }], timezone: 'Europe/Berlin', jitter: 30_000 });
    expect(t.policies).toEqual({ overlap: 'SKIP', catchupWindow: 600_000, pauseOnFailure: true });
  });

  it('names months and days of week as Temporal does', () => {
    expect(toCalendarSpec({ hour: 2, minute: 30, month: [3, { start: 10, end: 12 }], dayOfWeek: 0, comment: 'nightly' })).toEqual({
      hour: [2],
      minute: [30],
      month: ['MARCH', { start: 'OCTOBER', end: 'DECEMBER', step: 1 }],
      dayOfWeek: ['SUNDAY'],
      comment: 'nightly',
    });
    expect(toCalendarSpec({ dayOfMonth: '*', second: [{ start: 0, end: 50, step: 10 }] })).toEqual({ dayOfMonth: '*', second: [{ start: 0, end: 50, step: 10 }] });
  });
});
