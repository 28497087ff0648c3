// Every channel kind delivers a real message to a real receiver on loopback: an HTTP server
// that records each request (checked against what each service documents: method, path,
// headers, content type, body fields), and aiosmtpd for e-mail, with STARTTLS and with implicit
// TLS, AUTH required, a certificate of a CA made here. Then the failures: 500, 429, 400, a
// receiver that is down, one that never answers, a wrong SMTP password, a certificate from
// another CA. No answer or error may hold a secret.
import { BackstopError } from '../../contract/errors';
import type { ChannelKind, ChannelSpec, DeliveryAnswer, NotificationMessage } from '../../contract/notifications';
import { createCertificateAuthority } from '../../core/pki';
import { DELIVERERS, validateChannel, verifyWebhookSignature } from '../../activities/server/notify/channels';
import { FAILED as FIXTURE_FAILED } from '../../activities/server/notify/channels/__fixtures__/messages';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver';
import { freePort } from '../support/ports';
import { startSmtp, type SmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

const RUN_ID = '7d1c2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
// The unit tests' failed backup, with a plain reason (no markup to escape on the wire) and a run id of its own.
const FAILED: NotificationMessage = {
  ...FIXTURE_FAILED,
  text: 'restic could not lock the repository: "main" is locked by another process',
  run: { ...FIXTURE_FAILED.run!, id: RUN_ID },
};
const event = (e: NotificationMessage['event'], severity: NotificationMessage['severity'] = 'info'): NotificationMessage => ({ ...FAILED, event: e, severity });

const OPTS = { timeoutMs: 15_000 };

let http: HttpReceiver;
let starttls: SmtpServer;
let implicitTls: SmtpServer;

beforeAll(async () => {
  const ca = await createCertificateAuthority('Backstop notify test CA', 1);
  [http, starttls, implicitTls] = await Promise.all([startHttpReceiver(), startSmtp('starttls', ca), startSmtp('tls', ca)]);
});

afterAll(async () => {
  await Promise.all([http?.stop(), starttls?.stop(), implicitTls?.stop()]);
});

/** Validates like the API would, then delivers. */
async function deliver(kind: ChannelKind, settings: Record<string, unknown>, secrets: Record<string, string>, message: NotificationMessage = FAILED, opts: { timeoutMs: number; signal?: AbortSignal } = OPTS): Promise<DeliveryAnswer> {
  validateChannel(kind, settings, secrets);
  const spec: ChannelSpec = { kind, settings, secrets };
  return DELIVERERS[kind].deliver(spec, message, opts);
}

async function refusal(p: Promise<unknown>): Promise<BackstopError> {
  try {
    await p;
  } catch (err) {
    return err as BackstopError;
  }
  throw new Error('expected the delivery to fail');
}

const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as Record<string, unknown>;

describe('HTTP kinds deliver in their service format', () => {
  it('webhook: the whole message as JSON, signed, with public and secret headers', async () => {
    const hmacKey = 'hmac-key-for-the-test-0001';
    const answer = await deliver('webhook', { url: `${http.base}/hook/plain`, headers: { 'X-Team': 'ops' } }, { hmacKey, headers: 'Authorization: Bearer wh-secret-token-123' });
    expect(answer).toEqual({ status: 200, detail: 'ok' });
    const [req] = http.to('/hook/plain');
    expect(req).toBeDefined();
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toBe('Backstop');
    expect(req!.headers['x-backstop-event']).toBe('run.failed');
    expect(req!.headers['x-team']).toBe('ops');
    expect(req!.headers.authorization).toBe('Bearer wh-secret-token-123');
    expect(json(req!.body)).toEqual(FAILED);
    expect(verifyWebhookSignature(req!.body, req!.headers, hmacKey, 300, new Date())).toBe(true);
    expect(verifyWebhookSignature(req!.body, req!.headers, 'another-key', 300, new Date())).toBe(false);
    // The same request replayed an hour later is refused.
    expect(verifyWebhookSignature(req!.body, req!.headers, hmacKey, 300, new Date(Date.now() + 3_600_000))).toBe(false);
  });

  it('webhook: a template in the receiver format', async () => {
    const template = '{"summary": "{{title}} ({{run.id}})", "reason": {{run.failureReason}}, "warnings": {{run.warnings}}}';
    await deliver('webhook', { url: `${http.base}/hook/templated`, template }, {});
    const [req] = http.to('/hook/templated');
    expect(req!.headers['x-backstop-signature']).toBeUndefined();
    expect(json(req!.body)).toEqual({ summary: `${FAILED.title} (${RUN_ID})`, reason: 'repository "main" is locked', warnings: 0 });
  });

  it('slack: text and blocks to the secret webhook URL', async () => {
    http.answer('/services/T000/B000/slacktoken0001', { status: 200, body: 'ok' });
    const answer = await deliver('slack', {}, { url: `${http.base}/services/T000/B000/slacktoken0001` });
    expect(answer).toEqual({ status: 200, detail: 'ok' });
    const [req] = http.to('/services/T000/B000/slacktoken0001');
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    const body = json(req!.body);
    expect(body.text).toBe(`:x: ${FAILED.title}`);
    expect(body.blocks).toEqual([
      expect.objectContaining({ type: 'header' }),
      expect.objectContaining({ type: 'section', text: expect.objectContaining({ type: 'mrkdwn' }) }),
      expect.objectContaining({ type: 'context' }),
    ]);
  });

  it('mattermost: text and overrides', async () => {
    await deliver('mattermost', { username: 'backstop', channel: 'backups' }, { url: `${http.base}/hooks/mmkey0000000001` });
    const [req] = http.to('/hooks/mmkey0000000001');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(json(req!.body)).toEqual({ text: expect.stringContaining(`**${FAILED.title}**`), username: 'backstop', channel: 'backups' });
  });

  it('discord: an embed, answered 204', async () => {
    http.answer('/api/webhooks/123456/discordtoken01', { status: 204 });
    const answer = await deliver('discord', {}, { url: `${http.base}/api/webhooks/123456/discordtoken01` });
    expect(answer.status).toBe(204);
    expect(answer.detail).not.toContain('discordtoken01');
    const [req] = http.to('/api/webhooks/123456/discordtoken01');
    expect(req!.headers['content-type']).toBe('application/json');
    const body = json(req!.body) as { embeds: Array<Record<string, unknown>>; allowed_mentions: unknown };
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds[0]).toMatchObject({ title: FAILED.title, description: FAILED.text, color: 0xe74c3c, timestamp: FAILED.occurredAt });
  });

  it('ntfy: JSON publish to the server root with a bearer token', async () => {
    http.answer('/ntfy/', { status: 200, body: '{"id":"abc123","event":"message","topic":"backups"}', headers: { 'Content-Type': 'application/json' } });
    const answer = await deliver('ntfy', { server: `${http.base}/ntfy`, topic: 'backups' }, { token: 'tk_ntfysecret0001' });
    expect(answer.status).toBe(200);
    expect(answer.detail).toContain('abc123');
    const [req] = http.to('/ntfy/');
    expect(req!.method).toBe('POST');
    expect(req!.headers.authorization).toBe('Bearer tk_ntfysecret0001');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(json(req!.body)).toMatchObject({ topic: 'backups', title: FAILED.title, priority: 5, tags: ['rotating_light', 'backstop', 'run.failed'] });
  });

  it('gotify: POST /message with the token in X-Gotify-Key, never in the URL', async () => {
    http.answer('/gotify/message', { status: 200, body: '{"id":7,"appid":1}', headers: { 'Content-Type': 'application/json' } });
    const answer = await deliver('gotify', { server: `${http.base}/gotify` }, { token: 'AgotifyAppToken1' });
    expect(answer).toEqual({ status: 200, detail: '{"id":7,"appid":1}' });
    const [req] = http.to('/gotify/message');
    expect(req!.path).toBe('/gotify/message');
    expect(req!.headers['x-gotify-key']).toBe('AgotifyAppToken1');
    expect(json(req!.body)).toMatchObject({ title: FAILED.title, priority: 8, message: expect.stringContaining(FAILED.text) });
  });

  it('healthchecks: start, success, fail with the reason, log for a test, nothing for other events', async () => {
    const check = `/ping/${'5bf5b3d2-0a8e-4f4c-8a8b-4a5f5f1c7e2a'}`;
    const secrets = { url: `${http.base}${check}` };
    for (const p of [check, `${check}/start`, `${check}/fail`, `${check}/log`]) http.answer(p, { status: 200, body: 'OK' });
    expect(await deliver('healthchecks', {}, secrets, event('run.started'))).toEqual({ status: 200, detail: 'OK' });
    await deliver('healthchecks', {}, secrets, event('run.succeeded'));
    await deliver('healthchecks', {}, secrets, event('run.warning', 'warning'));
    await deliver('healthchecks', {}, secrets, FAILED);
    await deliver('healthchecks', {}, secrets, event('test'));
    expect(await deliver('healthchecks', {}, secrets, event('agent.unreachable', 'error'))).toMatchObject({ status: null });
    const paths = http.requests.filter((r) => r.path.startsWith(check)).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([
      `POST ${check}/start?rid=${RUN_ID}`,
      `POST ${check}?rid=${RUN_ID}`,
      `POST ${check}?rid=${RUN_ID}`,
      `POST ${check}/fail?rid=${RUN_ID}`,
      `POST ${check}/log?rid=${RUN_ID}`,
    ]);
    const fail = http.to(`${check}/fail`)[0]!;
    expect(fail.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(fail.body.toString()).toContain('repository "main" is locked');
  });
});

describe('e-mail over a real SMTP server', () => {
  it.each(['starttls', 'tls'] as const)('delivers with %s and AUTH', async (mode) => {
    const server = mode === 'starttls' ? starttls : implicitTls;
    const settings = { host: server.host, port: server.port, security: mode, username: server.user, from: 'Backstop <backstop@example.test>', to: ['ops@example.test', 'oncall@example.test'], caPem: server.caPem };
    const answer = await deliver('email', settings, { password: server.password });
    expect(answer.status).toBe(250);
    expect(answer.detail).toMatch(/^250 2\.0\.0 Ok: queued as TEST/);
    // The server prints the message before it answers 250, but its stdout may reach us after the reply.
    const mail = await waitFor('the SMTP server to record the message', async () => server.messages[0], 10_000, 20);
    expect(server.messages).toHaveLength(1);
    expect(mail).toMatchObject({
      mailFrom: 'backstop@example.test',
      rcptTos: ['ops@example.test', 'oncall@example.test'],
      from: 'Backstop <backstop@example.test>',
      subject: FAILED.title,
      event: 'run.failed',
      authUser: server.user,
      tls: true,
    });
    expect(mail.text).toContain(FAILED.text);
    expect(mail.text).toContain('Job: home (#4)');
    expect(mail.html).toContain('&quot;main&quot; is locked');
  });

  it('refuses a wrong password for good (535), without the password in the message', async () => {
    const wrong = 'wrong-password-0001';
    const err = await refusal(deliver('email', { host: starttls.host, port: starttls.port, security: 'starttls', username: starttls.user, from: 'backstop@example.test', to: ['ops@example.test'], caPem: starttls.caPem }, { password: wrong }));
    expect(err).toBeInstanceOf(BackstopError);
    expect(err.type).toBe('InputError');
    expect(err.message).toContain('535');
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(Buffer.from(wrong).toString('base64'));
  });

  it('refuses a server whose certificate is not from the configured CA', async () => {
    const other = await createCertificateAuthority('Some other CA', 1);
    const err = await refusal(deliver('email', { host: implicitTls.host, port: implicitTls.port, security: 'tls', username: implicitTls.user, from: 'backstop@example.test', to: ['ops@example.test'], caPem: other.certPem }, { password: implicitTls.password }));
    expect(err.type).toBe('InputError');
    expect(err.message).not.toContain(implicitTls.password);
  });

  it('retries later when the SMTP server is down', async () => {
    const port = await freePort();
    const err = await refusal(deliver('email', { host: '127.0.0.1', port, security: 'tls', username: 'u', from: 'backstop@example.test', to: ['ops@example.test'] }, { password: 'pw-down-0001' }));
    expect(err.type).toBe('DeliveryError');
    expect(err.retryable).toBe(true);
  });
});

describe('failures are classed and keep secrets out', () => {
  const token = 'slack-secret-token-000042';
  const secretPath = `/services/T1/B1/${token}`;

  it.each([
    [500, 'DeliveryError'],
    [503, 'DeliveryError'],
    [429, 'DeliveryError'],
    [408, 'DeliveryError'],
    [400, 'InputError'],
    [404, 'InputError'],
  ])('a receiver answering %i is a %s, and the token stays out of it', async (status, type) => {
    // Receivers echo what they got: this one quotes the URL and the token back.
    http.answer(secretPath, { status, body: `no such hook ${http.base}${secretPath} (token ${token})` });
    const err = await refusal(deliver('slack', {}, { url: `${http.base}${secretPath}` }));
    expect(err.type).toBe(type);
    expect(err.message).toContain(`answered ${status}`);
    expect(err.message).toContain('http://127.0.0.1:');
    expect(err.message).not.toContain(token);
    expect(JSON.stringify(err.details ?? {})).not.toContain(token);
  });

  it('a success answer that echoes a secret is redacted', async () => {
    http.answer('/gotify2/message', { status: 200, body: '{"echo":"AgotifyEchoToken1"}' });
    const answer = await deliver('gotify', { server: `${http.base}/gotify2` }, { token: 'AgotifyEchoToken1' });
    expect(answer.detail).toBe('{"echo":"[redacted]"}');
  });

  it('a receiver that is down is a DeliveryError', async () => {
    const port = await freePort();
    const err = await refusal(deliver('discord', {}, { url: `http://127.0.0.1:${port}/api/webhooks/1/discord-down-token` }));
    expect(err.type).toBe('DeliveryError');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('discord-down-token');
  });

  it('a receiver that never answers times out as a DeliveryError', async () => {
    http.answer('/hook/hang', { status: 200, hang: true });
    const err = await refusal(deliver('webhook', { url: `${http.base}/hook/hang` }, {}, FAILED, { timeoutMs: 500 }));
    expect(err.type).toBe('DeliveryError');
    expect(err.message).toContain('no answer within 500 ms');
  });

  it('a cancelled delivery ends with the caller’s reason', async () => {
    http.answer('/hook/hang2', { status: 200, hang: true });
    const ac = new AbortController();
    const p = deliver('webhook', { url: `${http.base}/hook/hang2` }, {}, FAILED, { timeoutMs: 30_000, signal: ac.signal });
    // Cancel once the receiver has the request (it is recorded before it would answer).
    await waitFor('the receiver to record the request', async () => http.to('/hook/hang2').length > 0, 10_000, 10);
    const reason = new Error('activity cancelled');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
  });

  it('a redirect is not followed', async () => {
    http.answer('/hook/moved', { status: 301, headers: { Location: `${http.base}/elsewhere/secret-location-1` } });
    const err = await refusal(deliver('webhook', { url: `${http.base}/hook/moved` }, {}));
    expect(err.type).toBe('InputError');
    expect(err.message).toContain('301');
    expect(err.message).not.toContain('secret-location-1');
    expect(http.to('/elsewhere/secret-location-1')).toHaveLength(0);
  });
});
