// Pure text formatting for people: aligned tables, relative times, sizes and durations. The
// `--json` path never goes through here; scripts get the API's JSON unchanged.

/** One column of a table: its heading and how a row shows in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  /** Right-aligned (numbers, sizes), so digits line up. */
  right?: boolean;
}

const cell = (v: string | number | boolean | null | undefined): string => (v === null || v === undefined ? '' : String(v));

/**
 * Rows as an aligned table: a heading line, then one line per row, columns two spaces apart,
 * no trailing blanks. An empty list prints just the heading, so a script's `grep` still finds
 * nothing rather than tripping over a "no rows" sentence.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string[] {
  const grid = [columns.map((c) => c.header.toUpperCase()), ...rows.map((r) => columns.map((c) => cell(c.value(r)).replace(/\s*\n\s*/g, ' ')))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)));
  return grid.map((line) =>
    line
      .map((text, i) => (columns[i]!.right ? text.padStart(widths[i]!) : i === columns.length - 1 ? text : text.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** "3m ago", "in 2h", "just now": how far `iso` is from `now`, to the largest whole unit. */
export function relativeTime(iso: string | null | undefined, now: Date): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((now.getTime() - t) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 10) return 'just now';
  const span = formatDuration(abs, 1);
  return seconds > 0 ? `${span} ago` : `in ${span}`;
}

const UNITS: Array<[string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** Seconds as `1h05m`-style text with at most `parts` units (`2d3h`, `4m10s`, `7s`). */
export function formatDuration(totalSeconds: number, parts = 2): string {
  let rest = Math.max(0, Math.round(totalSeconds));
  if (rest === 0) return '0s';
  const out: string[] = [];
  for (const [unit, size] of UNITS) {
    if (out.length === parts) break;
    const n = Math.floor(rest / size);
    if (n > 0 || out.length > 0) {
      // After the first unit, keep the place even when zero (1h00m), so widths stay steady.
      out.push(out.length > 0 && unit !== 'd' ? `${String(n).padStart(2, '0')}${unit}` : `${n}${unit}`);
      rest -= n * size;
    }
  }
  return out.join('');
}

/** Bytes in binary units with three significant figures: `512 B`, `1.50 KiB`, `4.00 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/** A snapshot or run id cut to what people compare by eye; the full id is in `--json`. */
export const shortId = (id: string | null | undefined, length = 8): string => (id ? id.slice(0, length) : '');

/** `key  value` lines for one object's fields, keys aligned; null and empty values skipped. */
export function formatFields(fields: ReadonlyArray<readonly [string, string | number | boolean | null | undefined]>): string[] {
  const shown = fields.filter(([, v]) => v !== null && v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${String(v)}`);
}
