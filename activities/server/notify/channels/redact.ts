// Keeping secrets out of what a delivery says. A delivery's answer is stored per delivery and
// shown by the test button, and its errors end up in workflow history and logs: none may hold
// a token, key, password or the secret part of a URL. Incoming-webhook URLs carry their token
// in the path, so a URL is only ever shown as scheme://host/…, and every string a receiver or
// a library hands back is scrubbed of every secret value (and the pieces of secret URLs) before
// it is kept.
import { REDACTED } from '../../../../core/redact';

/** A URL as it may be shown: its scheme, host and port only. */
export function redactUrl(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(an invalid URL)';
  }
}


/**
 * What must never be shown, from a channel's secrets: each value as given, its URL-encoded and
 * base64 forms (SMTP AUTH sends base64), and for a URL each path segment and query value long
 * enough to be a token (Slack's and Discord's tokens are path segments).
 */
export function secretFragments(secrets: Record<string, string>): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s.length === 0) return;
    out.add(s);
    out.add(encodeURIComponent(s));
    out.add(Buffer.from(s).toString('base64'));
  };
  for (const value of Object.values(secrets)) {
    if (typeof value !== 'string') continue;
    add(value);
    // Secret header lines (webhook `headers`): each value alone too.
    for (const line of value.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) add(line.slice(colon + 1).trim());
    }
    let u: URL | null = null;
    try {
      u = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? new URL(value) : null;
    } catch {
      u = null;
    }
    if (u) {
      for (const seg of u.pathname.split('/')) if (seg.length >= 8) add(decodeURIComponent(seg));
      for (const v of u.searchParams.values()) if (v.length >= 8) add(v);
      if (u.password) add(decodeURIComponent(u.password));
      add(u.href);
    }
  }
  // Longest first, so a whole URL is replaced before one of its segments.
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every secret fragment replaced, cut to `max` characters on one line. */
export function scrub(text: string, fragments: readonly string[], max = 300): string {
  let s = text;
  for (const f of fragments) if (f.length > 0) s = s.split(f).join(REDACTED);
  s = s.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
