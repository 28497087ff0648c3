// Helpers shared by the parsers of line-oriented JSON output (restic --json, rclone
// --use-json-log): a line that is not a JSON object is "other" output, not an error.

/** A finite number, or 0: tools omit zero counters from their JSON. */
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The line as a JSON object, or null for anything else (text, arrays, scalars). */
export function parseObject(line: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
