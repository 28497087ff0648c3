// What every catalog module needs to turn rows into models and errors into typed ones,
// written once: column conversion, timestamps, json columns, not-found and conflict errors.
import { ConflictError, NotFoundError } from '../contract/errors';

/** A row as `pg` returns it. */
export type Row = Record<string, unknown>;

/** A timestamp column (a Date from `pg`, a string from elsewhere) as an ISO string. */
export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));
/** A nullable numeric column (bigint columns arrive as strings). */
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** A nullable column as its own type, undefined as null. */
export const orNull = <T>(v: unknown): T | null => (v as T | null | undefined) ?? null;

/** A value for a json/jsonb parameter; null stays SQL NULL. */
export const jsonParam = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** The single row a lookup by key found, or the not-found error. */
export function one<R>(rows: R[], what: string): R {
  const r = rows[0];
  if (!r) throw new NotFoundError(`${what} not found`);
  return r;
}

/** The number of rows a statement touched. */
export const affected = (r: { rowCount: number | null }): number => r.rowCount ?? 0;

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const pgCode = (err: unknown): string | undefined => (err as { code?: string }).code;

/** Whether a statement failed on a unique constraint (a row that exists already). */
export const isUniqueViolation = (err: unknown): boolean => pgCode(err) === UNIQUE_VIOLATION;

/** A unique violation becomes a ConflictError with `message`; anything else is rethrown. */
export function rethrowUnique(err: unknown, message: string): never {
  if (isUniqueViolation(err)) throw new ConflictError(message);
  throw err;
}

/** A foreign-key violation becomes a ConflictError with `message`; anything else is rethrown. */
export function rethrowForeignKey(err: unknown, message: string): never {
  if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw new ConflictError(message);
  throw err;
}

/** Id and name of the jobs using something (the 409 body of a refused delete). */
export const jobRefFromRow = (r: Row): { id: number; name: string } => ({ id: Number(r.id), name: String(r.name) });

/**
 * One page of a keyset-paged query that asked for `limit + 1` rows: the first `limit` rows,
 * and the key of the last of them when the extra row shows more follow.
 */
export function keysetPage<K>(rows: Row[], limit: number, keyOf: (last: Row) => K): { rows: Row[]; next: K | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? keyOf(last) : null };
}
