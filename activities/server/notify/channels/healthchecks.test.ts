import { NOTIFICATION_EVENTS } from '../../../../contract/notifications';
import { FAILED, withEvent } from './__fixtures__/messages';
import { healthchecks, PING_BODY_MAX_BYTES, PINGS, renderHealthchecksPing } from './healthchecks';

const URL_ = 'https://hc-ping.com/5bf5b3d2-0a8e-4f4c-8a8b-4a5f5f1c7e2a';

describe('renderHealthchecksPing', () => {
  it('maps every event to a ping or to none', () => {
    const expected: Record<string, string | null> = {
      'run.started': `${URL_}/start`,
      'run.succeeded': URL_,
      'run.warning': URL_,
      'run.failed': `${URL_}/fail`,
      'prune.failed': `${URL_}/fail`,
      'sync.failed': `${URL_}/fail`,
      'drill.failed': `${URL_}/fail`,
      test: `${URL_}/log`,
      'job.stale': null,
      'drill.stale': null,
      'agent.unreachable': null,
      'restore.awaiting_approval': null,
    };
    for (const event of NOTIFICATION_EVENTS) {
      const ping = renderHealthchecksPing(URL_, withEvent(event, 'info', { run: { ...FAILED.run!, id: 'not-a-uuid' } }));
      expect(ping === null ? null : ping.url.href).toBe(expected[event]);
      expect(event in PINGS).toBe(true);
    }
  });

  it('puts the failure reason in the body of a fail ping, and a UUID run id in rid', () => {
    const ping = renderHealthchecksPing(`${URL_}/`, FAILED)!;
    expect(ping.url.href).toBe(`${URL_}/fail?rid=${FAILED.run!.id}`);
    expect(ping.body).toContain('repository "main" is locked');
    expect(ping.body.startsWith(FAILED.title)).toBe(true);
  });

  it('keeps a self-hosted base path and query', () => {
    expect(renderHealthchecksPing('https://hc.example/ping/abc/backup-home?create=1', withEvent('run.started', 'info', { run: null }))!.url.href).toBe('https://hc.example/ping/abc/backup-home/start?create=1');
  });

  it('cuts the body at the 100 kB Healthchecks keeps', () => {
    const ping = renderHealthchecksPing(URL_, withEvent('run.failed', 'error', { run: { ...FAILED.run!, failureReason: 'ü'.repeat(80_000) } }))!;
    expect(Buffer.byteLength(ping.body)).toBeLessThanOrEqual(PING_BODY_MAX_BYTES);
    expect(ping.body.endsWith('…')).toBe(true);
  });
});

describe('healthchecks', () => {
  it('answers without a request for an event it does not ping', async () => {
    await expect(healthchecks.deliver({ kind: 'healthchecks', settings: {}, secrets: { url: 'http://127.0.0.1:9/x' } }, withEvent('job.stale'), { timeoutMs: 1000 })).resolves.toEqual({
      status: null,
      detail: 'healthchecks: job.stale is not pinged',
    });
  });
  it('keeps the ping URL secret and takes no settings', () => {
    expect(healthchecks.description.secretFields).toEqual(['url']);
    expect(() => healthchecks.validate({ url: URL_ }, {})).toThrow(/settings\.url is not a field/);
    expect(() => healthchecks.validate({}, { url: URL_ })).not.toThrow();
  });
});
