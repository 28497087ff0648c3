// Gotify: POST /message with JSON {title, message, priority, extras} and the application token
// in the X-Gotify-Key header (Gotify also takes it as ?token=, which would put the secret in
// URLs, proxies' logs and error messages). Gotify answers 200 with the stored message.
//
// settings: server (Gotify's base URL), priorities? ({info, warning, error} → 0..10; default
//           2, 5, 8: Gotify's clients stay silent below 4 and alert from 8)
// secrets:  token (an application token)
import type { ChannelDeliverer, NotificationMessage, Severity } from '../../../../contract/notifications';
import { factLines } from './facts';
import { onlyKeys, optionalPriorities, requireHttpUrl, requireString, singleLine, type Fields } from './fields';
import { postHttp } from './http';
import { secretFragments } from './redact';

export const GOTIFY_DEFAULT_PRIORITIES = { info: 2, warning: 5, error: 8 } as const satisfies Record<Severity, number>;

export interface GotifyPayload {
  title: string;
  message: string;
  priority: number;
  extras: Record<string, unknown>;
}

export function renderGotifyPayload(m: NotificationMessage, settings: Fields): GotifyPayload {
  const priorities = { ...GOTIFY_DEFAULT_PRIORITIES, ...(settings.priorities as Partial<Record<Severity, number>> | undefined) };
  return {
    title: m.title,
    message: `${m.text}\n\n${factLines(m)}`,
    priority: priorities[m.severity],
    // Plain text: a job name or failure reason is not rendered as markdown by the clients.
    extras: { 'client::display': { contentType: 'text/plain' } },
  };
}

export function gotifyMessageUrl(server: string): URL {
  const u = new URL(server);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/message`;
  u.search = '';
  return u;
}

export const gotify: ChannelDeliverer = {
  description: { kind: 'gotify', secretFields: ['token'] },

  validate(settings, secrets) {
    onlyKeys(settings, ['server', 'priorities'], 'settings');
    onlyKeys(secrets, ['token'], 'secrets');
    requireHttpUrl(settings, 'server', 'settings');
    optionalPriorities(settings, 'priorities', 0, 10);
    singleLine(requireString(secrets, 'token', 'secrets'), 'secrets.token');
  },

  async deliver(spec, message, opts) {
    return postHttp({
      kind: 'gotify',
      url: gotifyMessageUrl(spec.settings.server as string),
      headers: { 'Content-Type': 'application/json', 'X-Gotify-Key': spec.secrets.token! },
      body: JSON.stringify(renderGotifyPayload(message, spec.settings)),
      secrets: secretFragments(spec.secrets),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
  },
};
