// Every channel kind, one module each, behind the one ChannelDeliverer interface
// (contract/notifications.ts). The delivery activity picks a deliverer by kind; the API checks
// a channel with validateChannel before sealing its secrets and storing it.
import { InputError } from '../../../../contract/errors';
import { CHANNEL_KINDS, type ChannelDeliverer, type ChannelKind } from '../../../../contract/notifications';
import { discord } from './discord';
import { email } from './email';
import { gotify } from './gotify';
import { healthchecks } from './healthchecks';
import { mattermost } from './mattermost';
import { ntfy } from './ntfy';
import { slack } from './slack';
import { webhook } from './webhook';

/**
 * Each deliverer checks the channel again before it delivers: a row changed behind the API's
 * back (or written by an older version) fails as an InputError naming the field, not as a
 * TypeError retried for ever.
 */
function checked(d: ChannelDeliverer): ChannelDeliverer {
  return {
    description: d.description,
    validate: (settings, secrets) => d.validate(settings, secrets),
    async deliver(spec, message, opts) {
      d.validate(spec.settings, spec.secrets);
      return d.deliver(spec, message, opts);
    },
  };
}

const KINDS = { email, webhook, slack, mattermost, discord, ntfy, gotify, healthchecks } as const satisfies Record<ChannelKind, ChannelDeliverer>;

export const DELIVERERS: Readonly<Record<ChannelKind, ChannelDeliverer>> = Object.fromEntries(
  CHANNEL_KINDS.map((kind) => [kind, checked(KINDS[kind])]),
) as Record<ChannelKind, ChannelDeliverer>;

export { verifyWebhookSignature } from './webhook-signature';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a channel before anything is stored: a known kind, settings and secrets objects, every
 * field the kind needs, none it does not know. Throws InputError naming the field. `secrets`
 * may be omitted (undefined) for kinds that need none.
 */
export function validateChannel(kind: string, settings: unknown, secrets: unknown): void {
  if (!(CHANNEL_KINDS as readonly string[]).includes(kind)) throw new InputError(`kind must be one of ${CHANNEL_KINDS.join(', ')}, not ${JSON.stringify(kind)}`, { field: 'kind' });
  if (!isPlainObject(settings)) throw new InputError('settings must be an object', { field: 'settings' });
  const s = secrets ?? {};
  if (!isPlainObject(s)) throw new InputError('secrets must be an object', { field: 'secrets' });
  for (const [key, value] of Object.entries(s)) {
    // Secrets are stored sealed as strings; the value is never quoted back.
    if (typeof value !== 'string') throw new InputError(`secrets.${key} must be a string`, { field: `secrets.${key}` });
  }
  DELIVERERS[kind as ChannelKind].validate(settings, s as Record<string, string>);
}
