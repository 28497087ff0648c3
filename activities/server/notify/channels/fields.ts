// Checking a channel's settings and secrets before anything is stored: each problem is an
// InputError that names the field (`settings.port`, `secrets.url`), so the API's 400 says
// exactly what to fix. Strict, as the API edge is: no coercion, unknown keys refused (a typo
// such as `setings.tpoic` must not silently fall back to a default).
import { InputError } from '../../../../contract/errors';

export type Fields = Record<string, unknown>;

/** Refuses keys that the kind does not know. */
export function onlyKeys(obj: Fields, allowed: readonly string[], where: 'settings' | 'secrets'): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new InputError(`${where}.${key} is not a field of this channel kind (known: ${known})`, { field: `${where}.${key}` });
    }
  }
}

function bad(field: string, what: string): InputError {
  return new InputError(`${field} ${what}`, { field });
}

export function requireString(obj: Fields, key: string, where: 'settings' | 'secrets'): string {
  const v = obj[key];
  if (v === undefined || v === null) throw bad(`${where}.${key}`, 'is required');
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${where}.${key}`, 'must be a non-empty string');
  return v;
}

export function optionalString(obj: Fields, key: string, where: 'settings' | 'secrets'): string | undefined {
  if (obj[key] === undefined) return undefined;
  return requireString(obj, key, where);
}

export function optionalBoolean(obj: Fields, key: string, where: 'settings' | 'secrets'): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw bad(`${where}.${key}`, 'must be true or false');
  return v;
}

export function optionalInteger(obj: Fields, key: string, where: 'settings' | 'secrets', min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${where}.${key}`, `must be an integer from ${min} to ${max}`);
  return v;
}

/** An http(s) URL. `secret` fields are never quoted back, not even in the error. */
export function requireHttpUrl(obj: Fields, key: string, where: 'settings' | 'secrets'): URL {
  const raw = requireString(obj, key, where);
  const field = `${where}.${key}`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad(field, where === 'secrets' ? 'is not a valid URL' : `is not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(field, `must be an http:// or https:// URL, not ${u.protocol}`);
  if (u.username || u.password) throw bad(field, 'must not carry credentials (put tokens in the secrets)');
  if (u.hash) throw bad(field, 'must not have a #fragment');
  return u;
}

/** No CR or LF: a value that ends up in a header line (SMTP or HTTP) could forge other headers. */
export function singleLine(value: string, field: string): string {
  if (/[\r\n]/.test(value)) throw bad(field, 'must be on one line');
  return value;
}

const SEVERITIES = ['info', 'warning', 'error'] as const;

/**
 * A severity → priority map (`{info: 3, warning: 4, error: 5}`), each key optional; missing
 * keys keep the kind's defaults.
 */
export function optionalPriorities(obj: Fields, key: string, min: number, max: number): Partial<Record<(typeof SEVERITIES)[number], number>> | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  const field = `settings.${key}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, `must be an object mapping info, warning and error to ${min}..${max}`);
  const out: Partial<Record<(typeof SEVERITIES)[number], number>> = {};
  for (const [sev, p] of Object.entries(v as Fields)) {
    if (!(SEVERITIES as readonly string[]).includes(sev)) throw bad(`${field}.${sev}`, 'is not a severity (info, warning, error)');
    if (typeof p !== 'number' || !Number.isInteger(p) || p < min || p > max) throw bad(`${field}.${sev}`, `must be an integer from ${min} to ${max}`);
    out[sev as (typeof SEVERITIES)[number]] = p;
  }
  return out;
}

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers the deliverer sets itself; a channel may not override them. */
const RESERVED_HEADERS = ['host', 'content-type', 'content-length', 'transfer-encoding', 'connection', 'user-agent', 'x-backstop-event', 'x-backstop-timestamp', 'x-backstop-signature'];

export function checkHeader(name: string, value: unknown, field: string): void {
  if (!HEADER_NAME.test(name)) throw bad(field, `has an invalid header name ${JSON.stringify(name)}`);
  if (RESERVED_HEADERS.includes(name.toLowerCase())) throw bad(field, `may not set ${name}: Backstop sets it`);
  if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw bad(`${field}.${name}`, 'must be a string on one line');
}
