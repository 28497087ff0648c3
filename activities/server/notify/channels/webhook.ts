// The generic webhook: one POST of the message to any URL, as JSON (the whole
// NotificationMessage) or in the receiver's own format through a template
// (webhook-template.ts), optionally signed (webhook-signature.ts).
//
// settings: url (http/https), headers? (non-secret, {name: value}), template?, contentType?
//           (only with a template; default application/json)
// secrets:  hmacKey? (signs each request), headers? (secret header lines, "Name: value" one per
//           line, e.g. "Authorization: Bearer …": one string, as every secret is)
import { InputError } from '../../../../contract/errors';
import type { ChannelDeliverer, ChannelSpec, NotificationMessage } from '../../../../contract/notifications';
import { checkHeader, onlyKeys, optionalString, requireHttpUrl, singleLine, type Fields } from './fields';
import { EVENT_HEADER, postHttp } from './http';
import { secretFragments } from './redact';
import { webhookSignatureHeaders } from './webhook-signature';
import { checkTemplate, renderTemplate, templateMode } from './webhook-template';

const SETTINGS = ['url', 'headers', 'template', 'contentType'] as const;
const SECRETS = ['hmacKey', 'headers'] as const;

/** Secret header lines ("Name: value" per line) as a map; refuses a malformed line without quoting it. */
export function parseHeaderLines(text: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new InputError(`${field} line ${i + 1} is not "Name: value"`, { field });
    const name = line.slice(0, colon).trim();
    checkHeader(name, line.slice(colon + 1).trim(), field);
    out[name] = line.slice(colon + 1).trim();
  });
  return out;
}

function publicHeaders(settings: Fields): Record<string, string> {
  const h = settings.headers;
  if (h === undefined) return {};
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new InputError('settings.headers must be an object of header names to values', { field: 'settings.headers' });
  for (const [name, value] of Object.entries(h)) checkHeader(name, value, 'settings.headers');
  return h as Record<string, string>;
}

export interface WebhookRequest {
  contentType: string;
  body: string;
}

/** The body and its content type: the whole message as JSON, or the filled template. */
export function renderWebhookBody(settings: Fields, message: NotificationMessage): WebhookRequest {
  const template = settings.template as string | undefined;
  if (template === undefined) return { contentType: 'application/json', body: JSON.stringify(message) };
  const contentType = (settings.contentType as string | undefined) ?? 'application/json';
  return { contentType, body: renderTemplate(template, message, templateMode(contentType)) };
}

export const webhook: ChannelDeliverer = {
  description: { kind: 'webhook', secretFields: SECRETS },

  validate(settings, secrets) {
    onlyKeys(settings, SETTINGS, 'settings');
    onlyKeys(secrets, SECRETS, 'secrets');
    requireHttpUrl(settings, 'url', 'settings');
    publicHeaders(settings);
    const template = optionalString(settings, 'template', 'settings');
    const contentType = optionalString(settings, 'contentType', 'settings');
    if (contentType !== undefined) {
      singleLine(contentType, 'settings.contentType');
      if (template === undefined) throw new InputError('settings.contentType needs settings.template (without one the body is the message as JSON)', { field: 'settings.contentType' });
    }
    if (template !== undefined) checkTemplate(template, templateMode(contentType ?? 'application/json'));
    optionalString(secrets, 'hmacKey', 'secrets');
    const secretHeaders = optionalString(secrets, 'headers', 'secrets');
    if (secretHeaders !== undefined) parseHeaderLines(secretHeaders, 'secrets.headers');
  },

  async deliver(spec: ChannelSpec, message, opts) {
    const { contentType, body } = renderWebhookBody(spec.settings, message);
    const headers: Record<string, string> = {
      ...publicHeaders(spec.settings),
      ...(spec.secrets.headers ? parseHeaderLines(spec.secrets.headers, 'secrets.headers') : {}),
      'Content-Type': contentType,
      [EVENT_HEADER]: message.event,
      ...(spec.secrets.hmacKey ? webhookSignatureHeaders(body, spec.secrets.hmacKey, new Date()) : {}),
    };
    return postHttp({
      kind: 'webhook',
      url: new URL(spec.settings.url as string),
      headers,
      body,
      secrets: secretFragments(spec.secrets),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
  },
};
