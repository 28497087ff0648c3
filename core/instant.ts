// Times from the API's callers, made fit for the catalog. RFC 3339 lets an offset run to
// ±23:59 and a year start at 0000; PostgreSQL's timestamptz takes offsets to ±15:59 and no
// year 0 ("time zone displacement out of range" was a 500 under fuzzing). Every instant is
// stored as UTC, so it is converted here, once, and one PostgreSQL cannot hold is refused.
import { InputError } from '../contract/errors';

/** The earliest instant PostgreSQL takes as an ISO string (0001-01-01T00:00:00Z). */
const EARLIEST_MS = -62_135_596_800_000; // Date.UTC maps years 0-99 to 19xx, so it is spelled out

/** An RFC 3339 date-time (already checked by the schema) as UTC ISO, e.g. `2026-12-02T10:00:00.000Z`. */
export function storedInstant(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InputError(`${what} is not a date-time: ${JSON.stringify(value)}`);
  if (ms < EARLIEST_MS) throw new InputError(`${what} is before 0001-01-01T00:00:00Z, the earliest time Backstop stores`);
  return new Date(ms).toISOString();
}
