// Healthchecks (healthchecks.io or self-hosted): events become pings of one check. The ping URL
// authorises pings (anyone holding it can mark the check up or down), so it is a secret.
//
//   run.started                      → POST <url>/start   (the check measures the run's duration)
//   run.succeeded, run.warning       → POST <url>         (success, the text as the logged body)
//   run.failed, prune.failed,
//   sync.failed, drill.failed        → POST <url>/fail    (the reason as the body)
//   test                             → POST <url>/log     (logged; changes no state)
//   anything else                    → no ping
//
// A warning run counts as success: it made its snapshot (only some files were unreadable), so
// the check must not go down and page someone, and /log would leave the check "started" until
// its grace time ran out and it went down anyway. The warning text is in the ping's body, which
// the check's event log shows. A test only logs, so pressing "test" never marks a failing check
// up or resets its schedule.
//
// A run id that is a UUID is passed as `rid`, so concurrent runs' start and end pings pair up.
// Healthchecks keeps the first 100 kB (100000 bytes) of a body; longer bodies are cut there.
//
// settings: none
// secrets:  url (the check's ping URL, e.g. https://hc-ping.com/<uuid>)
import type { ChannelDeliverer, NotificationEvent, NotificationMessage } from '../../../../contract/notifications';
import { factLines, truncateBytes } from './facts';
import { onlyKeys, requireHttpUrl } from './fields';
import { postHttp } from './http';
import { secretFragments } from './redact';

export const PING_BODY_MAX_BYTES = 100_000;

export type Ping = 'start' | 'success' | 'fail' | 'log';

export const PINGS = {
  'run.started': 'start',
  'run.succeeded': 'success',
  'run.warning': 'success',
  'run.failed': 'fail',
  'prune.failed': 'fail',
  'sync.failed': 'fail',
  'drill.failed': 'fail',
  test: 'log',
  'job.stale': null,
  'drill.stale': null,
  'agent.unreachable': null,
  'restore.awaiting_approval': null,
} as const satisfies Record<NotificationEvent, Ping | null>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HealthchecksPing {
  url: URL;
  body: string;
}

/** The ping for an event, or null when the event is not pinged. */
export function renderHealthchecksPing(pingUrl: string, m: NotificationMessage): HealthchecksPing | null {
  const ping = PINGS[m.event];
  if (ping === null) return null;
  const url = new URL(pingUrl);
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = ping === 'success' ? base : `${base}/${ping}`;
  if (m.run && UUID.test(m.run.id)) url.searchParams.set('rid', m.run.id);
  const reason = ping === 'fail' && m.run?.failureReason ? m.run.failureReason : m.text;
  const body = ping === 'start' ? `${m.title}\n\n${factLines(m)}` : `${m.title}\n\n${reason}\n\n${factLines(m)}`;
  return { url, body: truncateBytes(body, PING_BODY_MAX_BYTES) };
}

export const healthchecks: ChannelDeliverer = {
  description: { kind: 'healthchecks', secretFields: ['url'] },

  validate(settings, secrets) {
    onlyKeys(settings, [], 'settings');
    onlyKeys(secrets, ['url'], 'secrets');
    requireHttpUrl(secrets, 'url', 'secrets');
  },

  async deliver(spec, message, opts) {
    const ping = renderHealthchecksPing(spec.secrets.url!, message);
    if (ping === null) return { status: null, detail: `healthchecks: ${message.event} is not pinged` };
    return postHttp({
      kind: 'healthchecks',
      url: ping.url,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: ping.body,
      secrets: secretFragments(spec.secrets),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
  },
};
