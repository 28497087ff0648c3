import { parseScheduleFlags } from './schedules';

describe('parseScheduleFlags', () => {
  it('reads cron expressions, timezone and policies', () => {
    expect(parseScheduleFlags(['--cron', '0 2 * * *', '--cron', '30 12 * * 6', '--tz', 'Europe/Berlin', '--jitter', '60', '--overlap', 'buffer-one', '--catchup', '600', '--pause-on-failure'])).toEqual({
      cron: ['0 2 * * *', '30 12 * * 6'],
      timezone: 'Europe/Berlin',
      jitterSeconds: 60,
      overlap: 'buffer-one',
      catchupWindowSeconds: 600,
      pauseOnFailure: true,
    });
  });

  it('reads an interval and leaves the rest to the server defaults', () => {
    expect(parseScheduleFlags(['--every', '3600'])).toEqual({ intervals: [{ everySeconds: 3600 }] });
  });

  it.each([
    [[], /--cron <expr> or --every/],
    [['--every', '1h'], /whole number of seconds/],
    [['--cron', '@daily', '--overlap', 'allow-all'], /--overlap must be one of/],
  ])('refuses %j', (args, why) => {
    expect(() => parseScheduleFlags(args)).toThrow(why);
  });
});
