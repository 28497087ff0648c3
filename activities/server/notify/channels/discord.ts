// Discord webhooks: POST JSON to the webhook URL (a secret: /api/webhooks/<id>/<token>) with one
// embed (title, description, a color by severity, the facts as fields, the event's time).
// Without `?wait=true` Discord answers 204 No Content. `allowed_mentions` is empty, so a job
// name or a failure reason holding "@everyone" or a role id pings no one.
//
// settings: username?, avatarUrl?
// secrets:  url
import type { ChannelDeliverer, NotificationMessage, Severity } from '../../../../contract/notifications';
import { postToIncomingWebhook, webhookUrl } from './chat';
import { messageFacts, truncate } from './facts';
import { onlyKeys, optionalString, requireHttpUrl, type Fields } from './fields';

/** Embed colors (RGB as an integer, as Discord takes them). */
export const DISCORD_COLORS = { info: 0x3498db, warning: 0xf1c40f, error: 0xe74c3c } as const satisfies Record<Severity, number>;

// Discord's embed limits: title 256, description 4096, 25 fields of name 256 / value 1024,
// username 80.
export interface DiscordPayload {
  username?: string;
  avatar_url?: string;
  allowed_mentions: { parse: string[] };
  embeds: Array<{
    title: string;
    description: string;
    color: number;
    timestamp: string;
    fields: Array<{ name: string; value: string; inline: boolean }>;
    footer: { text: string };
  }>;
}

export function renderDiscordPayload(m: NotificationMessage, settings: Fields = {}): DiscordPayload {
  const payload: DiscordPayload = {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: truncate(m.title, 256),
        description: truncate(m.text, 4_096),
        color: DISCORD_COLORS[m.severity],
        timestamp: m.occurredAt,
        fields: messageFacts(m)
          .filter(([k]) => k !== 'Occurred')
          .slice(0, 25)
          .map(([name, value]) => ({ name, value: truncate(value, 1_024), inline: true })),
        footer: { text: 'Backstop' },
      },
    ],
  };
  if (typeof settings.username === 'string') payload.username = truncate(settings.username, 80);
  if (typeof settings.avatarUrl === 'string') payload.avatar_url = settings.avatarUrl;
  return payload;
}

export const discord: ChannelDeliverer = {
  description: { kind: 'discord', secretFields: ['url'] },

  validate(settings, secrets) {
    onlyKeys(settings, ['username', 'avatarUrl'], 'settings');
    onlyKeys(secrets, ['url'], 'secrets');
    optionalString(settings, 'username', 'settings');
    if (settings.avatarUrl !== undefined) requireHttpUrl(settings, 'avatarUrl', 'settings');
    webhookUrl(secrets);
  },

  deliver(spec, message, opts) {
    return postToIncomingWebhook('discord', spec, renderDiscordPayload(message, spec.settings), opts);
  },
};
