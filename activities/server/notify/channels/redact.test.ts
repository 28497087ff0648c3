import { redactUrl, scrub, secretFragments } from './redact';

describe('redactUrl', () => {
  it('shows only scheme, host and port', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/XXXXSECRET?x=1')).toBe('https://hooks.slack.com/…');
    expect(redactUrl(new URL('http://127.0.0.1:8080/api/webhooks/1/tok'))).toBe('http://127.0.0.1:8080/…');
  });
  it('never echoes an invalid URL', () => {
    expect(redactUrl('not a url with secret')).toBe('(an invalid URL)');
  });
});

describe('secretFragments and scrub', () => {
  it('removes a secret URL, its token segment and query values wherever they appear', () => {
    const f = secretFragments({ url: 'https://discord.com/api/webhooks/123456789/abcdefghijklmnop?thread_id=999999999' });
    expect(scrub('posted to https://discord.com/api/webhooks/123456789/abcdefghijklmnop?thread_id=999999999 failed', f)).toBe('posted to [redacted] failed');
    expect(scrub('invalid token abcdefghijklmnop', f)).toBe('invalid token [redacted]');
    expect(scrub('thread 999999999 gone', f)).toBe('thread [redacted] gone');
  });
  it('removes a password, its base64 and URL-encoded forms, and secret header values', () => {
    const f = secretFragments({ password: 'p@ss w0rd', headers: 'Authorization: Bearer tok-123456' });
    expect(scrub(`AUTH PLAIN ${Buffer.from('p@ss w0rd').toString('base64')}`, f)).toBe('AUTH PLAIN [redacted]');
    expect(scrub('pw=p%40ss%20w0rd', f)).toBe('pw=[redacted]');
    expect(scrub('got Bearer tok-123456', f)).toBe('got [redacted]');
  });
  it('puts the text on one line and cuts it after scrubbing', () => {
    const f = secretFragments({ token: 'abcdef' });
    expect(scrub('a\n\nb   c', f)).toBe('a b c');
    const long = `${'x'.repeat(10)}abcdef${'y'.repeat(100)}`;
    const out = scrub(long, f, 20);
    expect(out).toHaveLength(20);
    expect(out).not.toContain('abc');
  });
});
