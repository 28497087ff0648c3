import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRILL_STALE_GRACE_MS, WEEK_SECONDS, defaultDrillSchedule, drillHealth, drillScheduleOffsetSeconds, type DrillRunSummary } from './drill';
import { normalizeSchedule } from './schedule';

const DAY = 86_400_000;
const created = '2026-11-01T00:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(created) + ms);
const none: DrillRunSummary = { lastDrill: null, lastPassAt: null, runningSince: null };

describe('drillHealth', () => {
  const judge = (runs: DrillRunSummary, nowMs: number, staleAfterDays = 7) => drillHealth({ runs, createdAt: created, staleAfterDays, now: at(nowMs) });

  it('counts a job that never passed a drill from its creation', () => {
    expect(judge(none, 7 * DAY).drillStale).toBe(false);
    expect(judge(none, 7 * DAY + DRILL_STALE_GRACE_MS).drillStale).toBe(false);
    expect(judge(none, 7 * DAY + DRILL_STALE_GRACE_MS + 1).drillStale).toBe(true);
  });

  it('is fresh for the configured age after a passing drill, stale after it', () => {
    const passed: DrillRunSummary = { lastDrill: { runId: 'r1', outcome: 'succeeded', at: at(10 * DAY).toISOString() }, lastPassAt: at(10 * DAY).toISOString(), runningSince: null };
    expect(judge(passed, 16 * DAY)).toEqual({ lastDrill: passed.lastDrill, lastDrillPassAt: passed.lastPassAt, drillStale: false });
    expect(judge(passed, 17 * DAY + DRILL_STALE_GRACE_MS + 1).drillStale).toBe(true);
    expect(judge(passed, 12 * DAY + DRILL_STALE_GRACE_MS + 1, 2).drillStale).toBe(true);
  });

  it('a failed drill proves nothing: the age runs from the last pass', () => {
    const failedLater: DrillRunSummary = { lastDrill: { runId: 'r2', outcome: 'failed', at: at(17 * DAY).toISOString() }, lastPassAt: at(10 * DAY).toISOString(), runningSince: null };
    expect(judge(failedLater, 17 * DAY + 2 * DRILL_STALE_GRACE_MS)).toMatchObject({ lastDrill: { outcome: 'failed' }, drillStale: true });
  });

  it('a drill under way keeps the job fresh, unless it has run longer than the limit', () => {
    const running = (since: number): DrillRunSummary => ({ ...none, lastPassAt: at(0).toISOString(), runningSince: at(since).toISOString() });
    expect(judge(running(7 * DAY), 7 * DAY + 2 * DRILL_STALE_GRACE_MS).drillStale).toBe(false);
    expect(judge(running(1 * DAY), 9 * DAY).drillStale).toBe(true);
  });
});

describe('the default drill schedule', () => {
  it('is weekly, at a minute of the week the job id spreads', () => {
    const s = normalizeSchedule(defaultDrillSchedule(42));
    expect(s.intervals).toEqual([{ everySeconds: WEEK_SECONDS, offsetSeconds: drillScheduleOffsetSeconds(42) }]);
    expect(s).toMatchObject({ cron: [], calendars: [], jitterSeconds: 0, overlap: 'skip' });
    const offsets = new Set(Array.from({ length: 50 }, (_, i) => drillScheduleOffsetSeconds(i + 1)));
    expect(offsets.size).toBe(50);
    for (const o of offsets) expect(o % 60 === 0 && o >= 0 && o < WEEK_SECONDS).toBe(true);
  });

  it('is what migration 017 gives the jobs that existed before drills', () => {
    const sql = readFileSync(join(__dirname, '..', 'catalog', 'migrations', '017_drills.sql'), 'utf8');
    // The same formula as drillScheduleOffsetSeconds, and the same normalized definition.
    expect(sql).toContain("'offsetSeconds', ((j.id * 7919) % 10080) * 60");
    expect(sql).toContain(`'everySeconds', ${WEEK_SECONDS}`);
    const rest = normalizeSchedule(defaultDrillSchedule(1));
    for (const [k, v] of Object.entries(rest)) if (k !== 'intervals') expect(sql).toContain(`'${k}', ${k === 'timezone' || k === 'overlap' ? `'${String(v)}'` : Array.isArray(v) ? "'[]'::jsonb" : String(v)}`);
  });
});
