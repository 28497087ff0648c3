// The opaque cursor of GET /v1/runs: the keyset (started_at, id) of the last run of the
// previous page. started_at is kept in microseconds since the epoch, PostgreSQL's own
// precision, so two runs started in the same millisecond still page apart.
import { InputError } from '../contract/errors';

export interface RunCursor {
  /** started_at in microseconds since the Unix epoch, as a decimal string (beyond 2^53 safe). */
  startedUs: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROS = /^\d{1,17}$/;

export function encodeRunCursor(c: RunCursor): string {
  return Buffer.from(JSON.stringify({ s: c.startedUs, i: c.id })).toString('base64url');
}

/** Throws InputError (400) for anything this API did not hand out. */
export function decodeRunCursor(cursor: string): RunCursor {
  const bad = () => new InputError('cursor is not one this API returned');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad();
  const { s, i, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof s !== 'string' || typeof i !== 'string' || !MICROS.test(s) || !UUID.test(i)) throw bad();
  return { startedUs: s, id: i };
}
