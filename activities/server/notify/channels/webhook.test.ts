import { BackstopError } from '../../../../contract/errors';
import { FAILED } from './__fixtures__/messages';
import { parseHeaderLines, renderWebhookBody, webhook } from './webhook';

function refusal(fn: () => void): BackstopError {
  try {
    fn();
  } catch (err) {
    return err as BackstopError;
  }
  throw new Error('expected a refusal');
}

describe('renderWebhookBody', () => {
  it('sends the whole message as JSON by default', () => {
    const r = renderWebhookBody({ url: 'https://x.example/hook' }, FAILED);
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual(FAILED);
  });
  it('fills a template, in its content type', () => {
    expect(renderWebhookBody({ url: 'https://x', template: '{"t": "{{title}}"}' }, FAILED)).toEqual({ contentType: 'application/json', body: `{"t": ${JSON.stringify(FAILED.title)}}` });
    expect(renderWebhookBody({ url: 'https://x', template: 'msg={{event}}', contentType: 'application/x-www-form-urlencoded' }, FAILED)).toEqual({ contentType: 'application/x-www-form-urlencoded', body: 'msg=run.failed' });
  });
});

describe('webhook.validate', () => {
  const ok = { url: 'https://receiver.example/hook' };
  it('accepts a full configuration', () => {
    expect(() =>
      webhook.validate({ ...ok, headers: { 'X-Team': 'ops' }, template: '{"t": {{title}}}', contentType: 'application/json' }, { hmacKey: 'k', headers: 'Authorization: Bearer abc\nX-Api-Key: def' }),
    ).not.toThrow();
  });
  it.each([
    [{}, {}, 'settings.url'],
    [{ url: 'ftp://x/y' }, {}, 'settings.url'],
    [{ url: 'https://user:pw@x/y' }, {}, 'settings.url'],
    [{ ...ok, extra: 1 }, {}, 'settings.extra'],
    [ok, { token: 'x' }, 'secrets.token'],
    [{ ...ok, headers: ['a'] }, {}, 'settings.headers'],
    [{ ...ok, headers: { 'Bad Name': 'x' } }, {}, 'settings.headers'],
    [{ ...ok, headers: { 'X-Backstop-Signature': 'forged' } }, {}, 'settings.headers'],
    [{ ...ok, headers: { 'X-A': 'a\r\nX-B: b' } }, {}, 'settings.headers.X-A'],
    [{ ...ok, contentType: 'text/plain' }, {}, 'settings.contentType'],
    [{ ...ok, template: '{"x": {{nope}}}' }, {}, 'settings.template'],
    [ok, { hmacKey: '' }, 'secrets.hmacKey'],
    [ok, { headers: 'no colon here' }, 'secrets.headers'],
  ])('refuses %j / %j naming %s', (settings, secrets, field) => {
    const err = refusal(() => webhook.validate(settings, secrets as Record<string, string>));
    expect(err.type).toBe('InputError');
    expect(err.message).toContain(field);
  });
  it('never quotes a secret header value in its refusal', () => {
    const err = refusal(() => parseHeaderLines('Authorization: Bearer s3cr3t\nX-Bad\u0001Name: zzz-secret', 'secrets.headers'));
    expect(err.message).not.toContain('s3cr3t');
    expect(err.message).not.toContain('zzz-secret');
  });
});
