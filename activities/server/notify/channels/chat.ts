// What the chat kinds (Slack, Mattermost, Discord) share: the incoming-webhook URL is the
// secret (its path carries the token), so it lives in `secrets.url`, and the severity picks an
// emoji shortcode both Slack and Mattermost show.
import type { NotificationMessage } from '../../../../contract/notifications';
import { requireHttpUrl, type Fields } from './fields';

/** The incoming-webhook URL, from the secrets. */
export function webhookUrl(secrets: Fields): URL {
  return requireHttpUrl(secrets, 'url', 'secrets');
}

export function severityEmoji(m: NotificationMessage): string {
  if (m.severity === 'error') return ':x:';
  if (m.severity === 'warning') return ':warning:';
  return m.event === 'run.succeeded' ? ':white_check_mark:' : ':information_source:';
}
