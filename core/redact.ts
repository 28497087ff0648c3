// Redaction of run log lines before they are stored: the run's own secrets (repository
// password, S3 keys), wherever they appear, and values that look like secrets by their
// name (`password=…`, `AWS_SECRET_ACCESS_KEY=…`, `Authorization: Bearer …`, URL userinfo).
// Pure; the catalog writer applies it to every line, the agent to its engine lines too.

export const REDACTED = '[redacted]';

/** `NAME=value`, `name: value`, `"name": "value"` where NAME says password/secret/token/key. */
const NAMED_VALUE =
  /\b([\w.-]*(?:passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key(?:[_-]?id)?|credentials?)[\w.-]*)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi;
/** `Authorization: Bearer xyz`, `Authorization: Basic xyz`, also without the header name. */
const AUTH_SCHEME = /\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
/** `scheme://user:password@host` */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi;

/**
 * The line with every known secret replaced by [redacted] (longest first, so a secret
 * containing another is replaced whole), then the generic patterns. Empty secrets are
 * ignored; any other is redacted however short, since a leak is worse than a noisy line.
 */
export function redact(line: string, secrets: readonly string[]): string {
  let out = line;
  const known = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  for (const s of known) out = out.split(s).join(REDACTED);
  out = out.replace(URL_USERINFO, (_m, head: string, _pw: string, at: string) => `${head}${REDACTED}${at}`);
  out = out.replace(AUTH_SCHEME, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  out = out.replace(NAMED_VALUE, (m, name: string, sep: string, value: string) => (value.includes(REDACTED) ? m : `${name}${sep}${quoteLike(value)}`));
  return out;
}

/** Keeps the value's quotes, so a JSON line stays JSON. */
function quoteLike(value: string): string {
  const q = value[0];
  return q === '"' || q === "'" ? `${q}${REDACTED}${q}` : REDACTED;
}
