import { FAILED, withEvent } from './__fixtures__/messages';
import { gotify, gotifyMessageUrl, renderGotifyPayload } from './gotify';
import { ntfy, ntfyPublishUrl, renderNtfyPayload } from './ntfy';

describe('ntfy', () => {
  it('publishes JSON to the server root with title, message, priority and tags', () => {
    expect(ntfyPublishUrl('https://ntfy.example').href).toBe('https://ntfy.example/');
    expect(ntfyPublishUrl('https://example.com/ntfy').href).toBe('https://example.com/ntfy/');
    const p = renderNtfyPayload(FAILED, { server: 'https://ntfy.sh', topic: 'backups' });
    expect(p).toEqual({ topic: 'backups', title: FAILED.title, message: expect.stringContaining(FAILED.text), priority: 5, tags: ['rotating_light', 'backstop', 'run.failed'] });
    expect(p.message).toContain('Job: home (#4)');
  });
  it('maps severities to priorities, defaults overridable one by one', () => {
    const settings = { server: 'https://ntfy.sh', topic: 't', priorities: { info: 1 } };
    expect(renderNtfyPayload(withEvent('run.succeeded', 'info'), settings)).toMatchObject({ priority: 1, tags: ['white_check_mark', 'backstop', 'run.succeeded'] });
    expect(renderNtfyPayload(withEvent('run.warning', 'warning'), settings).priority).toBe(4);
  });
  it('keeps a message under 4096 bytes', () => {
    const p = renderNtfyPayload(withEvent('run.failed', 'error', { text: 'é'.repeat(5000) }), { topic: 't' });
    expect(Buffer.byteLength(p.message)).toBeLessThanOrEqual(4096);
  });
  it('validates topic, priorities and token', () => {
    expect(() => ntfy.validate({ server: 'https://ntfy.sh', topic: 'backups_1' }, { token: 'tk_abc' })).not.toThrow();
    expect(() => ntfy.validate({ server: 'https://ntfy.sh', topic: 'a/b' }, {})).toThrow(/settings\.topic/);
    expect(() => ntfy.validate({ server: 'https://ntfy.sh' }, {})).toThrow(/settings\.topic is required/);
    expect(() => ntfy.validate({ server: 'https://ntfy.sh', topic: 't', priorities: { error: 9 } }, {})).toThrow(/settings\.priorities\.error/);
    expect(() => ntfy.validate({ server: 'https://ntfy.sh', topic: 't', priorities: { fatal: 5 } }, {})).toThrow(/settings\.priorities\.fatal/);
    expect(() => ntfy.validate({ server: 'https://ntfy.sh', topic: 't' }, { token: 'a\nb' })).toThrow(/secrets\.token/);
  });
});

describe('Gotify', () => {
  it('posts {title, message, priority} to /message', () => {
    expect(gotifyMessageUrl('https://push.example/').href).toBe('https://push.example/message');
    expect(gotifyMessageUrl('https://example.com/gotify').href).toBe('https://example.com/gotify/message');
    expect(renderGotifyPayload(FAILED, {})).toEqual({
      title: FAILED.title,
      message: expect.stringContaining(FAILED.text),
      priority: 8,
      extras: { 'client::display': { contentType: 'text/plain' } },
    });
    expect(renderGotifyPayload(withEvent('test', 'info'), { priorities: { info: 0 } }).priority).toBe(0);
  });
  it('needs a token and refuses what it does not know', () => {
    expect(() => gotify.validate({ server: 'https://push.example' }, { token: 'Axyz' })).not.toThrow();
    expect(() => gotify.validate({ server: 'https://push.example' }, {})).toThrow(/secrets\.token is required/);
    expect(() => gotify.validate({ server: 'https://push.example', token: 'x' }, { token: 'y' })).toThrow(/settings\.token/);
    expect(() => gotify.validate({ server: 'https://push.example', priorities: { warning: 11 } }, { token: 'y' })).toThrow(/settings\.priorities\.warning/);
  });
});
