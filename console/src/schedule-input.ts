// What the schedule form reads and writes, as pure functions (unit-tested in Node): intervals
// typed as `6h` or `1d+2h` (every, plus an offset), the body of a PUT that keeps what the
// form does not show, and the schedule problems placed at the field they name.
import type { components } from '../../contract/generated/api-schema';
import { formErrors, lines, type FormErrors } from './form-errors';
import type { Problem } from './problem';

type Schedule = components['schemas']['Schedule'];
type ScheduleSet = components['schemas']['ScheduleSet'];
type Interval = NonNullable<ScheduleSet['intervals']>[number];

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const satisfies Record<string, number>;

/** `90`, `90s`, `15m`, `6h`, `1d` → seconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[(m[2] || 's') as keyof typeof UNIT_SECONDS];
}

/** Seconds in the largest unit that divides them: 21600 → `6h`. */
export function formatSeconds(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) if (seconds > 0 && seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  return `${seconds}s`;
}

/**
 * Intervals, one a line or comma-separated: `6h` (every six hours) or `1d+3h` (every day, at
 * 03:00 UTC: the offset). The API checks ranges (`everySeconds` ≥ 1, offset < every) and
 * answers at `body/intervals/…`; this only reads the text.
 */
export function parseIntervals(text: string): { value: Interval[] } | { error: string } {
  const value: Interval[] = [];
  for (const part of text.split(/[\n,]/).map((p) => p.trim()).filter(Boolean)) {
    const [every = '', offset] = part.split('+', 2);
    const everySeconds = parseDuration(every);
    const offsetSeconds = offset === undefined ? 0 : parseDuration(offset);
    if (everySeconds === null || offsetSeconds === null) return { error: `"${part}" is not an interval: write e.g. 6h, 30m or 1d+3h` };
    value.push(offsetSeconds ? { everySeconds, offsetSeconds } : { everySeconds });
  }
  return { value };
}

export function formatIntervals(intervals: Schedule['intervals']): string {
  return intervals.map((i) => formatSeconds(i.everySeconds ?? 0) + (i.offsetSeconds ? `+${formatSeconds(i.offsetSeconds)}` : '')).join(', ');
}

/**
 * The PUT body: cron and intervals from the form; calendars, timezone, jitter, overlap,
 * catch-up window and pause-on-failure as the current schedule has them (a PUT replaces the
 * schedule, and the form must not reset what the CLI set).
 */
export function scheduleBody(current: Schedule | null, cron: string, intervals: Interval[]): ScheduleSet {
  const kept: ScheduleSet = current
    ? {
        calendars: current.calendars,
        timezone: current.timezone,
        jitterSeconds: current.jitterSeconds,
        overlap: current.overlap,
        catchupWindowSeconds: current.catchupWindowSeconds,
        pauseOnFailure: current.pauseOnFailure,
      }
    : {};
  return { ...kept, cron: lines(cron), intervals };
}

/**
 * A schedule's problems at their fields. The schema's errors carry paths (`body/intervals/0/…`);
 * the schedule's own check (core/schedule.ts normalizeSchedule) answers one detail,
 * `invalid schedule: cron[0] "x": …; intervals[0].offsetSeconds …`, whose parts name the field.
 */
export function scheduleErrors(problem: Problem): FormErrors {
  const base = formErrors(problem);
  const m = /^invalid schedule: (.*)$/s.exec(problem.detail ?? '');
  if (problem.errors?.length || !m) return base;
  const fields: Record<string, string[]> = {};
  const loose: string[] = [];
  for (const part of m[1]!.split('; ')) {
    const field = /^(cron|intervals|calendars)\[/.exec(part)?.[1];
    if (field) (fields[field] ??= []).push(part);
    else loose.push(part);
  }
  return { fields, general: loose.length ? `invalid schedule: ${loose.join('; ')}` : null };
}
