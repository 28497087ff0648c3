import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { authorized, startMetricsListener } from './listener';

describe('authorized', () => {
  it('lets anyone in when no token is set', () => {
    expect(authorized(undefined, undefined)).toBe(true);
  });
  it('asks for exactly the bearer token when one is set', () => {
    expect(authorized('Bearer s3cret', 's3cret')).toBe(true);
    expect(authorized('Bearer s3cre', 's3cret')).toBe(false);
    expect(authorized('Basic s3cret', 's3cret')).toBe(false);
    expect(authorized(undefined, 's3cret')).toBe(false);
  });
});

describe('startMetricsListener', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
  let server: Server;
  let render: () => Promise<string>;
  let base: string;

  beforeAll(async () => {
    server = await startMetricsListener({ listen: { host: '127.0.0.1', port: 0 }, token: 'tok', render: () => render(), logger });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('serves the rendered text at /metrics with the token, in the Prometheus content type', async () => {
    render = () => Promise.resolve('backstop_x 1\n');
    const res = await get('/metrics', 'tok');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toBe('backstop_x 1\n');
  });

  it('refuses a missing or wrong token with 401, and other paths with 404', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'nope')).status).toBe(401);
    expect((await get('/v1/jobs', 'tok')).status).toBe(404);
  });

  it('answers 500 without the reason when the scrape fails, and logs it', async () => {
    render = () => Promise.reject(new Error('catalog says: password=hunter2'));
    const res = await get('/metrics', 'tok');
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('hunter2');
    expect(lines.join('')).toContain('metrics scrape failed');
  });
});
