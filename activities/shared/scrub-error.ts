// Belt and braces for every process Backstop runs with secrets (engines, rclone, plugins): no
// error leaves with a secret in its message or details, whatever the tool printed.
import { BackstopError, NotFoundError } from '../../contract/errors';
import { REDACTED } from '../../core/redact';

export function scrub(err: BackstopError, secrets: readonly string[]): BackstopError {
  const known = secrets.filter((s) => s !== '');
  let message = err.message;
  for (const s of known) message = message.split(s).join(REDACTED);
  let details = err.details;
  if (details) {
    // Each secret as it appears inside a JSON string (quotes and backslashes escaped).
    const text = JSON.stringify(details);
    let scrubbed = text;
    for (const s of known) scrubbed = scrubbed.split(JSON.stringify(s).slice(1, -1)).join(REDACTED);
    if (scrubbed !== text) details = JSON.parse(scrubbed) as Record<string, unknown>;
  }
  if (message === err.message && details === err.details) return err;
  return err instanceof NotFoundError ? new NotFoundError(message) : new BackstopError(err.type, message, details);
}
