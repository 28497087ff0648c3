// The generic webhook's body template: the receiver's own format, filled from the message.
//
// Syntax, deliberately tiny (no loops, no conditions, no code):
//   {{title}}  {{text}}  {{event}}  {{severity}}  {{occurredAt}}
//   {{run.id}} {{run.status}} {{run.failureReason}} … (every field of the run)
//   {{job.id}} {{job.name}} {{agent.name}} {{repository.id}} {{repository.name}}
//   {{run}} {{job}} … (a whole object)   {{message}} (the whole message)
// Spaces inside the braces are allowed ({{ run.id }}). A name outside this list is refused when
// the channel is saved, not when a backup fails at night.
//
// How a value is written depends on the body's content type, so a value can never break out of
// its place:
//   - JSON (application/json, anything +json): inside a JSON string ("Run {{run.id}} failed")
//     the value is escaped as string content; outside a string ({"warnings": {{run.warnings}}})
//     it is written as a whole JSON value (a string quoted, a number as is, null as null, an
//     object as JSON). The template must render to valid JSON, checked when it is saved.
//   - application/x-www-form-urlencoded: each value percent-encoded.
//   - anything else: the value as text (null as the empty string).
import { InputError } from '../../../../contract/errors';
import type { NotificationMessage } from '../../../../contract/notifications';

export type TemplateMode = 'json' | 'form' | 'text';

export function templateMode(contentType: string): TemplateMode {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return 'text';
}

const PLACEHOLDER_SOURCE = /\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}/.source;
/** A fresh regex each time: a shared global one carries lastIndex from one use into the next. */
const placeholders = (flags: 'g' | 'y' = 'g') => new RegExp(PLACEHOLDER_SOURCE, flags);

/** A message with every field set and awkward strings: the names it has are the names allowed, and saved templates are tried on it. */
export const SAMPLE_MESSAGE: NotificationMessage = {
  event: 'run.failed',
  severity: 'error',
  title: 'Backup of job "home" on web-1 failed',
  text: 'restic said:\n\tFatal: unable to open repository at C:\\repo {"x": 1}',
  occurredAt: '2026-01-01T00:00:00.000Z',
  run: {
    id: 'r-1',
    kind: 'backup',
    status: 'failed',
    jobId: 4,
    jobName: 'home',
    agent: 'web-1',
    repositoryId: 2,
    snapshotId: 'abc123',
    failureReason: 'repository "main" is locked',
    warnings: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.000Z',
  },
  job: { id: 4, name: 'home' },
  agent: { name: 'web-1' },
  repository: { id: 2, name: 'main' },
};

function namesOf(value: unknown, prefix: string, into: Set<string>): void {
  into.add(prefix);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) namesOf(v, `${prefix}.${k}`, into);
  }
}

/** Every name a template may use. */
export const TEMPLATE_NAMES: ReadonlySet<string> = (() => {
  const names = new Set<string>(['message']);
  for (const [k, v] of Object.entries(SAMPLE_MESSAGE)) namesOf(v, k, names);
  return names;
})();

function lookup(message: NotificationMessage, name: string): unknown {
  if (name === 'message') return message;
  let v: unknown = message;
  for (const part of name.split('.')) {
    if (v === null || typeof v !== 'object') return null;
    v = (v as Record<string, unknown>)[part];
  }
  return v ?? null;
}

function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Fills `template` from `message`; names must have passed checkTemplate. */
export function renderTemplate(template: string, message: NotificationMessage, mode: TemplateMode): string {
  if (mode === 'form') return template.replace(placeholders(), (_, name: string) => encodeURIComponent(asText(lookup(message, name))));
  if (mode === 'text') return template.replace(placeholders(), (_, name: string) => asText(lookup(message, name)));
  // JSON: walk the template once, knowing at each placeholder whether it sits inside a string.
  const at = placeholders('y');
  let out = '';
  let inString = false;
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      at.lastIndex = i;
      const m = at.exec(template);
      if (m) {
        const v = lookup(message, m[1]!);
        out += inString ? JSON.stringify(asText(v)).slice(1, -1) : JSON.stringify(v ?? null);
        i += m[0].length;
        continue;
      }
    }
    if (inString && ch === '\\') {
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (ch === '"') inString = !inString;
    out += ch;
    i++;
  }
  return out;
}

/** Refuses unknown names and, for JSON, a template that does not render to valid JSON. */
export function checkTemplate(template: string, mode: TemplateMode, field = 'settings.template'): void {
  for (const m of template.matchAll(placeholders())) {
    if (!TEMPLATE_NAMES.has(m[1]!)) throw new InputError(`${field} uses {{${m[1]}}}, which is not a message field (known: ${[...TEMPLATE_NAMES].join(', ')})`, { field });
  }
  const leftover = template.replace(placeholders(), '').match(/\{\{[^}]*\}\}/);
  if (leftover) throw new InputError(`${field} has a malformed placeholder ${leftover[0]} (write {{name}} or {{object.name}})`, { field });
  if (mode === 'json') {
    try {
      JSON.parse(renderTemplate(template, SAMPLE_MESSAGE, 'json'));
    } catch (err) {
      throw new InputError(`${field} does not render to valid JSON: ${(err as Error).message}`, { field });
    }
  }
}
