import { CHANNEL_KINDS, type ChannelKind } from '../../../../contract/notifications';
import { FAILED } from './__fixtures__/messages';
import { DELIVERERS, validateChannel } from './index';

// One valid configuration per kind: the walk below fails when a kind is added without one.
const VALID: Record<ChannelKind, { settings: Record<string, unknown>; secrets: Record<string, string> }> = {
  email: { settings: { host: 'smtp.example.com', from: 'b@example.com', to: ['o@example.com'], username: 'b' }, secrets: { password: 'p' } },
  webhook: { settings: { url: 'https://r.example/hook' }, secrets: {} },
  slack: { settings: {}, secrets: { url: 'https://hooks.slack.com/services/T/B/X' } },
  mattermost: { settings: {}, secrets: { url: 'https://mm.example/hooks/k' } },
  discord: { settings: {}, secrets: { url: 'https://discord.com/api/webhooks/1/t' } },
  ntfy: { settings: { server: 'https://ntfy.sh', topic: 'backups' }, secrets: {} },
  gotify: { settings: { server: 'https://push.example' }, secrets: { token: 't' } },
  healthchecks: { settings: {}, secrets: { url: 'https://hc-ping.com/u' } },
};

describe('DELIVERERS', () => {
  it.each(CHANNEL_KINDS)('%s has a deliverer that describes itself and accepts a valid channel', (kind) => {
    expect(DELIVERERS[kind].description.kind).toBe(kind);
    expect(() => validateChannel(kind, VALID[kind].settings, VALID[kind].secrets)).not.toThrow();
  });
  it.each(CHANNEL_KINDS)('%s refuses an unknown setting and an unknown secret', (kind) => {
    expect(() => validateChannel(kind, { ...VALID[kind].settings, bogus: 1 }, VALID[kind].secrets)).toThrow(/settings\.bogus/);
    expect(() => validateChannel(kind, VALID[kind].settings, { ...VALID[kind].secrets, bogus: 'x' })).toThrow(/secrets\.bogus/);
  });
  it('lists every secret field that the valid configurations use', () => {
    for (const kind of CHANNEL_KINDS) for (const k of Object.keys(VALID[kind].secrets)) expect(DELIVERERS[kind].description.secretFields).toContain(k);
  });
});

describe('deliver', () => {
  it('checks a stored channel again before delivering', async () => {
    await expect(DELIVERERS.gotify.deliver({ kind: 'gotify', settings: { server: 'not a url' }, secrets: { token: 't' } }, FAILED, { timeoutMs: 1000 })).rejects.toMatchObject({
      type: 'InputError',
      message: expect.stringContaining('settings.server'),
    });
  });
});

describe('validateChannel', () => {
  it('refuses an unknown kind, naming the field', () => {
    expect(() => validateChannel('pager', {}, {})).toThrow(expect.objectContaining({ type: 'InputError', message: expect.stringContaining('kind must be one of email') }));
  });
  it('refuses settings or secrets that are not objects, and secrets that are not strings', () => {
    expect(() => validateChannel('webhook', null, {})).toThrow(/^settings must be an object/);
    expect(() => validateChannel('webhook', { url: 'https://x/y' }, [])).toThrow(/^secrets must be an object/);
    expect(() => validateChannel('webhook', { url: 'https://x/y' }, { hmacKey: 42 })).toThrow(/^secrets\.hmacKey must be a string/);
  });
  it('takes missing secrets as none', () => {
    expect(() => validateChannel('webhook', { url: 'https://x/y' }, undefined)).not.toThrow();
    expect(() => validateChannel('slack', {}, undefined)).toThrow(/secrets\.url is required/);
  });
  it('never quotes a secret URL in its refusal', () => {
    expect(() => validateChannel('discord', {}, { url: 'ftp://discord.com/api/webhooks/1/sekrit-token' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('sekrit') }));
  });
});
