// What the chat kinds (Slack, Mattermost, Discord) share: the incoming-webhook URL is the
// secret (its path carries the token), so it lives in `secrets.url`, and the severity picks an
// emoji shortcode both Slack and Mattermost show.
import type { ChannelKind, ChannelSpec, DeliveryAnswer, NotificationMessage } from '../../../../contract/notifications';
import { requireHttpUrl, type Fields } from './fields';
import { postHttp } from './http';
import { secretFragments } from './redact';

/** The incoming-webhook URL, from the secrets. */
export function webhookUrl(secrets: Fields): URL {
  return requireHttpUrl(secrets, 'url', 'secrets');
}

export function severityEmoji(m: NotificationMessage): string {
  if (m.severity === 'error') return ':x:';
  if (m.severity === 'warning') return ':warning:';
  return m.event === 'run.succeeded' ? ':white_check_mark:' : ':information_source:';
}

/**
 * Chat services' incoming webhooks (Slack, Mattermost, Discord): a JSON payload POSTed to the
 * webhook URL, which is itself the secret (its path carries the token).
 */
export function postToIncomingWebhook(kind: ChannelKind, spec: ChannelSpec, payload: unknown, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<DeliveryAnswer> {
  return postHttp({
    kind,
    url: new URL(spec.secrets.url!),
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
    secrets: secretFragments(spec.secrets),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
}
