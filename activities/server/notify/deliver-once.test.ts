import { deliverOnce } from './deliver-once';
import { BackstopError, ErrorType, InputError } from '../../../contract/errors';
import type { ChannelDeliverer, ChannelSpec, NotificationMessage } from '../../../contract/notifications';
import { buildMessage } from './message';

const SECRET = 'tok-5f0c2b9e77a1';
const spec: ChannelSpec = { kind: 'webhook', settings: { url: 'http://127.0.0.1:1/hook' }, secrets: { token: SECRET } };
const message: NotificationMessage = buildMessage({ event: 'test', occurredAt: '2026-12-03T07:00:00.000Z', run: null, job: null, repository: null });

const deliverer = (deliver: ChannelDeliverer['deliver']): ChannelDeliverer => ({ description: { kind: 'webhook', secretFields: ['token'] }, validate: () => undefined, deliver });

describe('deliverOnce', () => {
  it('takes the channel secrets out of the receiver answer', async () => {
    const answer = await deliverOnce(deliverer(() => Promise.resolve({ status: 200, detail: `ok, got token ${SECRET}` })), spec, message, { timeoutMs: 1_000 });
    expect(answer).toEqual({ status: 200, detail: 'ok, got token [redacted]' });
  });

  it('keeps a temporary failure retryable and a refusal final, both redacted', async () => {
    const temporary = deliverOnce(deliverer(() => Promise.reject(new BackstopError(ErrorType.delivery, `503 from http://u:${SECRET}@host`))), spec, message, { timeoutMs: 1_000 });
    await expect(temporary).rejects.toMatchObject({ type: ErrorType.delivery, retryable: true });
    await expect(temporary).rejects.not.toThrow(SECRET);
    const refused = deliverOnce(deliverer(() => Promise.reject(new InputError(`401: bad token ${SECRET}`))), spec, message, { timeoutMs: 1_000 });
    await expect(refused).rejects.toMatchObject({ type: ErrorType.input, retryable: false, message: '401: bad token [redacted]' });
  });

  it('counts an unexpected error as temporary', async () => {
    await expect(deliverOnce(deliverer(() => Promise.reject(new TypeError('socket hang up'))), spec, message, { timeoutMs: 1_000 })).rejects.toMatchObject({ type: ErrorType.delivery, retryable: true });
  });
});
