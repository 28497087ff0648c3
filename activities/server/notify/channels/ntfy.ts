// ntfy: publish as JSON, as ntfy documents for clients: POST {topic, title, message, priority,
// tags} to the server's root URL. The JSON form rather than the Title/Priority/Tags headers
// because header values must be ASCII and a job name or a failure reason need not be. ntfy
// answers 200 with the published message as JSON. A protected topic takes an access token as
// `Authorization: Bearer`.
//
// settings: server (the ntfy base URL, e.g. https://ntfy.sh), topic, priorities? ({info, warning,
//           error} → 1..5; default 3, 4, 5)
// secrets:  token?
import { InputError } from '../../../../contract/errors';
import type { ChannelDeliverer, NotificationMessage, Severity } from '../../../../contract/notifications';
import { factLines, truncateBytes } from './facts';
import { onlyKeys, optionalPriorities, optionalString, requireHttpUrl, requireString, singleLine, type Fields } from './fields';
import { postHttp } from './http';
import { secretFragments } from './redact';

export const NTFY_DEFAULT_PRIORITIES = { info: 3, warning: 4, error: 5 } as const satisfies Record<Severity, number>;

// ntfy's topic names: letters, digits, _ and -, at most 64.
const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
// Messages over 4096 bytes become attachments (or are refused where attachments are off).
const MESSAGE_MAX_BYTES = 4_096;

/** ntfy turns tags that are emoji shortcodes into emoji in front of the title. */
function tags(m: NotificationMessage): string[] {
  const emoji = m.severity === 'error' ? 'rotating_light' : m.severity === 'warning' ? 'warning' : m.event === 'run.succeeded' ? 'white_check_mark' : 'information_source';
  return [emoji, 'backstop', m.event];
}

export interface NtfyPayload {
  topic: string;
  title: string;
  message: string;
  priority: number;
  tags: string[];
}

export function renderNtfyPayload(m: NotificationMessage, settings: Fields): NtfyPayload {
  const priorities = { ...NTFY_DEFAULT_PRIORITIES, ...(settings.priorities as Partial<Record<Severity, number>> | undefined) };
  return {
    topic: settings.topic as string,
    title: m.title,
    message: truncateBytes(`${m.text}\n\n${factLines(m)}`, MESSAGE_MAX_BYTES),
    priority: priorities[m.severity],
    tags: tags(m),
  };
}

/** Where the JSON is published: the server's root (keeping a base path such as /ntfy/). */
export function ntfyPublishUrl(server: string): URL {
  const u = new URL(server);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.search = '';
  return u;
}

export const ntfy: ChannelDeliverer = {
  description: { kind: 'ntfy', secretFields: ['token'] },

  validate(settings, secrets) {
    onlyKeys(settings, ['server', 'topic', 'priorities'], 'settings');
    onlyKeys(secrets, ['token'], 'secrets');
    requireHttpUrl(settings, 'server', 'settings');
    const topic = requireString(settings, 'topic', 'settings');
    if (!TOPIC.test(topic)) throw new InputError('settings.topic must be 1 to 64 letters, digits, _ or -', { field: 'settings.topic' });
    optionalPriorities(settings, 'priorities', 1, 5);
    const token = optionalString(secrets, 'token', 'secrets');
    if (token !== undefined) singleLine(token, 'secrets.token');
  },

  async deliver(spec, message, opts) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (spec.secrets.token) headers.Authorization = `Bearer ${spec.secrets.token}`;
    return postHttp({
      kind: 'ntfy',
      url: ntfyPublishUrl(spec.settings.server as string),
      headers,
      body: JSON.stringify(renderNtfyPayload(message, spec.settings)),
      secrets: secretFragments(spec.secrets),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
  },
};
