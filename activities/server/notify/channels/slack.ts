// Slack incoming webhooks: POST JSON to the webhook URL (a secret: it is the token), with `text`
// (the notification and fallback text) and Block Kit `blocks` (header, section, context); Slack
// answers 200 "ok" and refuses with 4xx and a short reason (invalid_payload, no_service,
// channel_is_archived). Text in mrkdwn escapes &, < and > as Slack documents, so a job name
// cannot forge a link or an @channel mention.
//
// settings: blocks? (default true; false sends `text` alone)
// secrets:  url
import type { ChannelDeliverer, NotificationMessage } from '../../../../contract/notifications';
import { postToIncomingWebhook, severityEmoji, webhookUrl } from './chat';
import { messageFacts, truncate } from './facts';
import { onlyKeys, optionalBoolean } from './fields';

/** Slack's mrkdwn escaping: only these three are control characters. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Block Kit limits: a header's plain text 150 characters, section and context text 3000.
const HEADER_MAX = 150;
const SECTION_MAX = 3_000;

export interface SlackPayload {
  text: string;
  blocks?: unknown[];
}

export function renderSlackPayload(m: NotificationMessage, withBlocks = true): SlackPayload {
  const facts = messageFacts(m)
    .map(([k, v]) => `*${k}:* ${slackEscape(v)}`)
    .join('  ·  ');
  const text = truncate(`${severityEmoji(m)} *${slackEscape(m.title)}*\n${slackEscape(m.text)}`, SECTION_MAX);
  if (!withBlocks) return { text: `${text}\n${truncate(facts, SECTION_MAX)}` };
  return {
    // With blocks, `text` is what notifications and screen readers show.
    text: truncate(`${severityEmoji(m)} ${slackEscape(m.title)}`, SECTION_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(m.title, HEADER_MAX), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`${severityEmoji(m)} ${slackEscape(m.text)}`, SECTION_MAX) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(facts, SECTION_MAX) }] },
    ],
  };
}

export const slack: ChannelDeliverer = {
  description: { kind: 'slack', secretFields: ['url'] },

  validate(settings, secrets) {
    onlyKeys(settings, ['blocks'], 'settings');
    onlyKeys(secrets, ['url'], 'secrets');
    optionalBoolean(settings, 'blocks', 'settings');
    webhookUrl(secrets);
  },

  deliver(spec, message, opts) {
    return postToIncomingWebhook('slack', spec, renderSlackPayload(message, spec.settings.blocks !== false), opts);
  },
};
