// The generic webhook's signature, replay-safe in the way Stripe and Slack sign theirs: the
// sender's clock goes into what is signed, so a receiver that refuses old timestamps cannot be
// fed a captured request again later.
//
//   X-Backstop-Timestamp: <unix seconds>
//   X-Backstop-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>
//
// A receiver recomputes the HMAC over the raw body bytes it got (before any JSON parsing),
// compares in constant time, and refuses a timestamp further than its tolerance from its own
// clock. `verifyWebhookSignature` below does exactly that and is what the README shows.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Backstop-Timestamp';
export const SIGNATURE_HEADER = 'X-Backstop-Signature';

/** The signature header's value for a body sent at `timestamp` (unix seconds). */
export function signWebhookBody(body: string | Uint8Array, key: string, timestamp: number): string {
  const mac = createHmac('sha256', key);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

/** Both signature headers for a body sent now. */
export function webhookSignatureHeaders(body: string | Uint8Array, key: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signWebhookBody(body, key, timestamp) };
}

type HeaderBag = Record<string, string | string[] | undefined> | Headers;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : bag[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * For a receiver: true when `headers` (node's `req.headers`, or fetch's Headers) carry a valid
 * signature of `body` (the raw bytes received) under `key`, made within `toleranceSeconds` of
 * `now` either way. False for a missing or malformed header, a wrong signature, or a stale (or
 * far-future) timestamp.
 */
export function verifyWebhookSignature(body: string | Uint8Array, headers: HeaderBag, key: string, toleranceSeconds = 300, now: Date = new Date()): boolean {
  const ts = header(headers, TIMESTAMP_HEADER);
  const sig = header(headers, SIGNATURE_HEADER);
  if (ts === undefined || sig === undefined || !/^\d{1,12}$/.test(ts)) return false;
  const timestamp = Number(ts);
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhookBody(body, key, timestamp));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
