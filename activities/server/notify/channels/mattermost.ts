// Mattermost incoming webhooks: POST JSON {text, username?, channel?, icon_url?} to the webhook
// URL (a secret: its last segment is the hook's key); Mattermost answers 200 "ok". `text` is
// Mattermost markdown. The username, channel and icon overrides work only where the server
// allows integrations to override them.
//
// settings: username?, channel?, iconUrl?
// secrets:  url
import type { ChannelDeliverer, NotificationMessage } from '../../../../contract/notifications';
import { postToIncomingWebhook, severityEmoji, webhookUrl } from './chat';
import { messageFacts, truncate } from './facts';
import { onlyKeys, optionalString, requireHttpUrl, type Fields } from './fields';

// A post's text is at most 16383 characters (Mattermost's post size limit).
const TEXT_MAX = 16_383;

export interface MattermostPayload {
  text: string;
  username?: string;
  channel?: string;
  icon_url?: string;
}

export function renderMattermostPayload(m: NotificationMessage, settings: Fields = {}): MattermostPayload {
  const facts = messageFacts(m)
    .map(([k, v]) => `**${k}:** ${v}`)
    .join('\n');
  const payload: MattermostPayload = { text: truncate(`${severityEmoji(m)} **${m.title}**\n\n${m.text}\n\n${facts}`, TEXT_MAX) };
  if (typeof settings.username === 'string') payload.username = settings.username;
  if (typeof settings.channel === 'string') payload.channel = settings.channel;
  if (typeof settings.iconUrl === 'string') payload.icon_url = settings.iconUrl;
  return payload;
}

export const mattermost: ChannelDeliverer = {
  description: { kind: 'mattermost', secretFields: ['url'] },

  validate(settings, secrets) {
    onlyKeys(settings, ['username', 'channel', 'iconUrl'], 'settings');
    onlyKeys(secrets, ['url'], 'secrets');
    optionalString(settings, 'username', 'settings');
    optionalString(settings, 'channel', 'settings');
    if (settings.iconUrl !== undefined) requireHttpUrl(settings, 'iconUrl', 'settings');
    webhookUrl(secrets);
  },

  deliver(spec, message, opts) {
    return postToIncomingWebhook('mattermost', spec, renderMattermostPayload(message, spec.settings), opts);
  },
};
