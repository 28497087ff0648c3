// temporary; replaced at merge by the channels branch.
// A minimal stand-in with the channels branch's export shape (DELIVERERS, validateChannel) so
// the pipeline can be built and tested now: only `webhook` delivers (settings `{ url }`,
// secrets `headers` as the real one takes them, a JSON POST of the message); every other kind
// is refused as not available yet.
import { BackstopError, ErrorType, InputError } from '../../../../contract/errors';
import { CHANNEL_KINDS, type ChannelDeliverer, type ChannelKind } from '../../../../contract/notifications';

const unavailable = (kind: ChannelKind): ChannelDeliverer => ({
  description: { kind, secretFields: [] },
  validate() {
    throw new InputError(`channel kind "${kind}" is not available yet`, { field: 'kind' });
  },
  deliver() {
    return Promise.reject(new InputError(`channel kind "${kind}" is not available yet`));
  },
});

/** Secret header lines ("Name: value", one per line), as the real webhook takes them. */
function headerLines(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (line.trim() !== '') {
      if (colon <= 0) throw new InputError('secrets.headers lines must be "Name: value"', { field: 'secrets.headers' });
      out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
  }
  return out;
}

const webhook: ChannelDeliverer = {
  description: { kind: 'webhook', secretFields: ['hmacKey', 'headers'] },
  validate(settings, secrets) {
    const url = settings.url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new InputError('settings.url must be an http(s) URL', { field: 'settings.url' });
    for (const key of Object.keys(settings)) if (key !== 'url') throw new InputError(`settings.${key} is not a webhook setting`, { field: `settings.${key}` });
    for (const key of Object.keys(secrets)) if (key !== 'hmacKey' && key !== 'headers') throw new InputError(`secrets.${key} is not a webhook secret`, { field: `secrets.${key}` });
    headerLines(secrets.headers);
  },
  async deliver(spec, message, opts) {
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(String(spec.settings.url), {
        method: 'POST',
        headers: { ...headerLines(spec.secrets.headers), 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal,
      });
    } catch (err) {
      throw new BackstopError(ErrorType.delivery, `webhook unreachable: ${(err as Error).message}`);
    }
    const detail = (await res.text()).slice(0, 200);
    if (res.ok) return { status: res.status, detail };
    if (res.status >= 500 || res.status === 429) throw new BackstopError(ErrorType.delivery, `webhook answered ${res.status}: ${detail}`);
    throw new InputError(`webhook refused the message with ${res.status}: ${detail}`);
  },
};

export const DELIVERERS: Record<ChannelKind, ChannelDeliverer> = Object.fromEntries(CHANNEL_KINDS.map((k) => [k, k === 'webhook' ? webhook : unavailable(k)])) as Record<ChannelKind, ChannelDeliverer>;

export function validateChannel(kind: string, settings: unknown, secrets: unknown): void {
  if (!(CHANNEL_KINDS as readonly string[]).includes(kind)) throw new InputError(`unknown channel kind "${kind}"`, { field: 'kind' });
  DELIVERERS[kind as ChannelKind].validate((settings ?? {}) as Record<string, unknown>, (secrets ?? {}) as Record<string, string>);
}
