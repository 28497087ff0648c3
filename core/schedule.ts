// When a job (or a repository's prune or S3 sync) runs on its own: the schedule as the API
// takes it and the catalog stores it, its validation, and its pure translation into a
// Temporal Schedule's spec and policies. Temporal does the firing; Backstop keeps the
// definition and makes the Temporal Schedule match it (api/schedules.ts).
import type { CalendarSpec, DayOfWeek, Month, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import { InputError } from '../contract/errors';

/** What happens when a firing comes while the previous run still runs. */
export const OverlapPolicy = {
  /** The new firing is dropped. */
  skip: 'skip',
  /** The new firing waits for the running one; at most one waits. */
  bufferOne: 'buffer-one',
  /** The running run is cancelled (its cleanup still runs), then the new one starts. */
  cancelOther: 'cancel-other',
} as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

/** Backstop's overlap policies as Temporal's: the only place they are mapped. */
export const TEMPORAL_OVERLAP = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'cancel-other': 'CANCEL_OTHER',
} as const satisfies Record<OverlapPolicy, ScheduleOverlapPolicy>;

/**
 * A backfill takes every fire time of a range at once, so by default they all run, one after
 * another (Temporal's BUFFER_ALL); `skip` and the others would drop all but one or two.
 */
export type BackfillOverlap = OverlapPolicy | 'buffer-all';

export function backfillOverlap(o: BackfillOverlap | undefined): ScheduleOverlapPolicy {
  return o === undefined || o === 'buffer-all' ? 'BUFFER_ALL' : TEMPORAL_OVERLAP[o];
}

/** One value, a list of values or ranges, or `*`; months are 1–12, days of week 0–6 (0 = Sunday). */
export type CalendarField = '*' | number | Array<number | { start: number; end?: number; step?: number }>;

/** A calendar entry: a time matches when every given field matches (unset: second/minute/hour 0, others `*`). */
export interface CalendarEntry {
  second?: CalendarField;
  minute?: CalendarField;
  hour?: CalendarField;
  dayOfMonth?: CalendarField;
  month?: CalendarField;
  dayOfWeek?: CalendarField;
  year?: CalendarField;
  comment?: string;
}

/** Every `everySeconds` since the epoch, shifted by `offsetSeconds` (not tied to a timezone). */
export interface IntervalEntry {
  everySeconds: number;
  offsetSeconds?: number;
}

/** A schedule as the API takes it; at least one of cron, calendars, intervals. */
export interface ScheduleDefinition {
  /** 5-field cron expressions (`minute hour day-of-month month day-of-week`) or `@daily` & co. */
  cron?: string[];
  calendars?: CalendarEntry[];
  intervals?: IntervalEntry[];
  /** IANA timezone the cron and calendar times are read in; default UTC. */
  timezone?: string;
  /** Each firing is delayed by a random 0..jitter, so many jobs do not start in one second. */
  jitterSeconds?: number;
  overlap?: OverlapPolicy;
  /** How late a firing may still be taken after the Temporal server was down; at least 10 s. */
  catchupWindowSeconds?: number;
  /** Temporal pauses the schedule when a scheduled run fails. */
  pauseOnFailure?: boolean;
}

/** A definition with every default filled in: what the catalog stores. */
export type NormalizedSchedule = Required<ScheduleDefinition>;

export const SCHEDULE_DEFAULTS = {
  timezone: 'UTC',
  jitterSeconds: 0,
  overlap: OverlapPolicy.skip,
  catchupWindowSeconds: 3600,
  pauseOnFailure: false,
} as const;

const MONTHS: readonly Month[] = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const DAYS: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

const CALENDAR_BOUNDS: Record<Exclude<keyof CalendarEntry, 'comment'>, [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [0, 6],
  year: [1970, 2200],
};

// --- cron ------------------------------------------------------------------------------
const CRON_FIELDS: Array<{ name: string; min: number; max: number; names?: readonly string[]; nameBase?: number }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], nameBase: 1 },
  // 7 is Sunday too, as in most crons.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], nameBase: 0 },
];
const CRON_SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why a cron expression is not one Backstop accepts, or null when it is fine. */
export function cronProblem(expr: string): string | null {
  const e = expr.trim();
  if (e.startsWith('@')) return CRON_SHORTHANDS.has(e.toLowerCase()) ? null : `unknown shorthand ${e} (use ${[...CRON_SHORTHANDS].join(', ')}; intervals go in "intervals")`;
  if (/^(CRON_)?TZ=/i.test(e)) return 'put the timezone in "timezone", not in the expression';
  const fields = e.split(/\s+/);
  if (fields.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i]!;
    const problem = cronFieldProblem(fields[i]!, spec);
    if (problem) return `${spec.name} "${fields[i]}": ${problem}`;
  }
  return null;
}

function cronValue(token: string, spec: (typeof CRON_FIELDS)[number]): number | null {
  if (/^\d+$/.test(token)) return Number(token);
  const i = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return i >= 0 ? i + spec.nameBase! : null;
}

function cronFieldProblem(field: string, spec: (typeof CRON_FIELDS)[number]): string | null {
  for (const item of field.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) return `cannot read "${item}"`;
    if (m[2] !== undefined && Number(m[2]) < 1) return 'a step must be at least 1';
    if (m[1] === '*') continue;
    const [from, to, ...more] = m[1]!.split('-');
    if (more.length > 0) return `cannot read "${item}"`;
    const a = cronValue(from!, spec);
    const b = to === undefined ? a : cronValue(to, spec);
    if (a === null || b === null) return `"${item}" is not a value`;
    if (a < spec.min || b > spec.max) return `values must be ${spec.min}–${spec.max}`;
    if (b < a) return `range ${m[1]} runs backwards`;
  }
  return null;
}

// --- timezone ----------------------------------------------------------------------------
/** True for an IANA zone name the runtime knows (`Europe/Berlin`, `UTC`); offsets are refused. */
export function isKnownTimezone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// --- validation ---------------------------------------------------------------------------
function calendarProblems(c: CalendarEntry, at: string): string[] {
  const problems: string[] = [];
  for (const [key, [min, max]] of Object.entries(CALENDAR_BOUNDS) as Array<[keyof typeof CALENDAR_BOUNDS, [number, number]]>) {
    const v = c[key];
    if (v === undefined || v === '*') continue;
    const items = Array.isArray(v) ? v : [v];
    if (items.length === 0) problems.push(`${at}.${key}: an empty list matches nothing`);
    for (const item of items) {
      const [start, end, step] = typeof item === 'number' ? [item, item, 1] : [item.start, item.end ?? item.start, item.step ?? 1];
      if (![start, end, step].every(Number.isInteger) || start < min || end > max) problems.push(`${at}.${key}: values must be integers ${min}–${max}`);
      else if (end < start) problems.push(`${at}.${key}: range ${start}-${end} runs backwards`);
      else if (step < 1) problems.push(`${at}.${key}: a step must be at least 1`);
    }
  }
  return problems;
}

/**
 * Checks a schedule and fills in its defaults; throws InputError naming every problem, so a
 * bad schedule is refused before anything is written.
 */
export function normalizeSchedule(def: ScheduleDefinition): NormalizedSchedule {
  const problems: string[] = [];
  const cron = def.cron ?? [];
  const calendars = def.calendars ?? [];
  const intervals = def.intervals ?? [];
  if (cron.length + calendars.length + intervals.length === 0) problems.push('a schedule needs at least one cron expression, calendar or interval');
  cron.forEach((c, i) => {
    const p = cronProblem(c);
    if (p) problems.push(`cron[${i}] "${c}": ${p}`);
  });
  calendars.forEach((c, i) => problems.push(...calendarProblems(c, `calendars[${i}]`)));
  intervals.forEach((iv, i) => {
    const off = iv.offsetSeconds ?? 0;
    if (!Number.isInteger(iv.everySeconds) || iv.everySeconds < 1) problems.push(`intervals[${i}].everySeconds must be a positive integer`);
    else if (!Number.isInteger(off) || off < 0 || off >= iv.everySeconds) problems.push(`intervals[${i}].offsetSeconds must be an integer 0 ≤ offset < everySeconds`);
  });
  const timezone = def.timezone ?? SCHEDULE_DEFAULTS.timezone;
  if (!isKnownTimezone(timezone)) problems.push(`unknown timezone "${timezone}": use an IANA name such as Europe/Berlin`);
  const jitterSeconds = def.jitterSeconds ?? SCHEDULE_DEFAULTS.jitterSeconds;
  if (!Number.isInteger(jitterSeconds) || jitterSeconds < 0) problems.push('jitterSeconds must be a non-negative integer');
  const catchupWindowSeconds = def.catchupWindowSeconds ?? SCHEDULE_DEFAULTS.catchupWindowSeconds;
  // Temporal refuses catch-up windows under 10 s.
  if (!Number.isInteger(catchupWindowSeconds) || catchupWindowSeconds < 10) problems.push('catchupWindowSeconds must be an integer of at least 10');
  const overlap = def.overlap ?? SCHEDULE_DEFAULTS.overlap;
  if (!(overlap in TEMPORAL_OVERLAP)) problems.push(`overlap must be one of ${Object.keys(TEMPORAL_OVERLAP).join(', ')}`);
  if (problems.length > 0) throw new InputError(`invalid schedule: ${problems.join('; ')}`, { problems });
  return { cron, calendars, intervals, timezone, jitterSeconds, overlap, catchupWindowSeconds, pauseOnFailure: def.pauseOnFailure ?? SCHEDULE_DEFAULTS.pauseOnFailure };
}

// --- conversion to Temporal -------------------------------------------------------------------
function calendarField<U>(v: CalendarField | undefined, name: (n: number) => U): CalendarSpec['hour'] | undefined {
  if (v === undefined || v === '*') return v;
  const items = Array.isArray(v) ? v : [v];
  return items.map((item) =>
    typeof item === 'number' ? name(item) : { start: name(item.start), end: name(item.end ?? item.start), step: item.step ?? 1 },
  ) as CalendarSpec['hour'];
}

const asIs = (n: number) => n;

export function toCalendarSpec(c: CalendarEntry): CalendarSpec {
  const spec: CalendarSpec = {};
  if (c.second !== undefined) spec.second = calendarField(c.second, asIs);
  if (c.minute !== undefined) spec.minute = calendarField(c.minute, asIs);
  if (c.hour !== undefined) spec.hour = calendarField(c.hour, asIs);
  if (c.dayOfMonth !== undefined) spec.dayOfMonth = calendarField(c.dayOfMonth, asIs);
  if (c.year !== undefined) spec.year = calendarField(c.year, asIs);
  if (c.month !== undefined) spec.month = calendarField(c.month, (n) => MONTHS[n - 1]!) as CalendarSpec['month'];
  if (c.dayOfWeek !== undefined) spec.dayOfWeek = calendarField(c.dayOfWeek, (n) => DAYS[n]!) as CalendarSpec['dayOfWeek'];
  if (c.comment !== undefined) spec.comment = c.comment;
  return spec;
}

/** The Temporal Schedule's spec and policies for a normalized schedule. */
export function toTemporalSpec(s: NormalizedSchedule): { spec: ScheduleSpec; policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean } } {
  return {
    spec: {
      ...(s.cron.length ? { cronExpressions: s.cron } : {}),
      ...(s.calendars.length ? { calendars: s.calendars.map(toCalendarSpec) } : {}),
      ...(s.intervals.length ? { intervals: s.intervals.map((i) => ({ every: i.everySeconds * 1000, offset: (i.offsetSeconds ?? 0) * 1000 })) } : {}),
      timezone: s.timezone,
      jitter: s.jitterSeconds * 1000,
    },
    policies: { overlap: TEMPORAL_OVERLAP[s.overlap], catchupWindow: s.catchupWindowSeconds * 1000, pauseOnFailure: s.pauseOnFailure },
  };
}
