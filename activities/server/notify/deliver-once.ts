// One delivery attempt through a channel kind, with every trace of the channel's secrets
// taken out of what comes back (the receiver's answer, the error): what the test button
// shows and what the delivery activity records and throws. A channel kind should never put a
// secret there; this makes sure of it, since both end up in the catalog, the API and history.
import { BackstopError, ErrorType } from '../../../contract/errors';
import type { ChannelDeliverer, ChannelSpec, DeliveryAnswer, NotificationMessage } from '../../../contract/notifications';
import { redact } from '../../../core/redact';

/** The channel's secret values, and the settings that look secret by their name, taken out of `text`. */
export function redactChannel(text: string, spec: Pick<ChannelSpec, 'secrets'>): string {
  return redact(text, Object.values(spec.secrets));
}

/**
 * Delivers `message`; resolves with the redacted answer, or throws a BackstopError with a
 * redacted message: DeliveryError (retry later) or the deliverer's own non-retryable type.
 * Anything else a deliverer throws (a bug, an unexpected library error) counts as temporary.
 */
export async function deliverOnce(deliverer: ChannelDeliverer, spec: ChannelSpec, message: NotificationMessage, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<DeliveryAnswer> {
  try {
    const answer = await deliverer.deliver(spec, message, opts);
    return { status: answer.status, detail: redactChannel(answer.detail, spec) };
  } catch (err) {
    const text = redactChannel(err instanceof Error ? err.message : String(err), spec);
    throw new BackstopError(err instanceof BackstopError ? err.type : ErrorType.delivery, text);
  }
}
