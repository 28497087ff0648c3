import { createHmac } from 'node:crypto';
import { signWebhookBody, verifyWebhookSignature, webhookSignatureHeaders } from './webhook-signature';

const key = 'k3y-for-tests';
const body = '{"event":"run.failed","title":"ä"}';
const now = new Date('2026-12-03T07:00:00Z');
const ts = Math.floor(now.getTime() / 1000);

describe('webhook signatures', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256, hex', () => {
    const expected = createHmac('sha256', key).update(`${ts}.${body}`).digest('hex');
    expect(webhookSignatureHeaders(body, key, now)).toEqual({ 'X-Backstop-Timestamp': String(ts), 'X-Backstop-Signature': `sha256=${expected}` });
  });

  it('verifies its own signature from node-style (lower-case) headers and from fetch Headers', () => {
    const h = webhookSignatureHeaders(body, key, now);
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyWebhookSignature(body, lower, key, 300, now)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), new Headers(h), key, 300, new Date(now.getTime() + 299_000))).toBe(true);
  });

  it('refuses a stale timestamp, a far-future one, a wrong key and a changed body', () => {
    const h = webhookSignatureHeaders(body, key, now);
    expect(verifyWebhookSignature(body, h, key, 300, new Date(now.getTime() + 301_000))).toBe(false);
    expect(verifyWebhookSignature(body, h, key, 300, new Date(now.getTime() - 301_000))).toBe(false);
    expect(verifyWebhookSignature(body, h, 'other', 300, now)).toBe(false);
    expect(verifyWebhookSignature(`${body} `, h, key, 300, now)).toBe(false);
  });

  it('refuses a replay whose timestamp was changed to look fresh', () => {
    const old = new Date(now.getTime() - 3_600_000);
    const h = webhookSignatureHeaders(body, key, old);
    const replay = { ...h, 'X-Backstop-Timestamp': String(ts) };
    expect(verifyWebhookSignature(body, h, key, 300, now)).toBe(false);
    expect(verifyWebhookSignature(body, replay, key, 300, now)).toBe(false);
  });

  it('refuses missing or malformed headers', () => {
    expect(verifyWebhookSignature(body, {}, key, 300, now)).toBe(false);
    expect(verifyWebhookSignature(body, { 'x-backstop-timestamp': 'soon', 'x-backstop-signature': signWebhookBody(body, key, ts) }, key, 300, now)).toBe(false);
    expect(verifyWebhookSignature(body, { 'x-backstop-timestamp': String(ts), 'x-backstop-signature': 'sha256=00' }, key, 300, now)).toBe(false);
  });
});
