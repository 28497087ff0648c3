// The metrics listener: `GET /metrics` on its own address (BACKSTOP_METRICS_LISTEN), apart
// from the API's port, so Prometheus scrapes without an API token and the address can be
// kept to the monitoring network. BACKSTOP_METRICS_TOKEN adds a bearer token of its own
// (Prometheus' `authorization.credentials_file`) where that network is not private enough;
// it opens nothing but this page.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ListenAddress } from '../../core/config';
import type { Logger } from '../../core/logger';
import { CONTENT_TYPE } from './exposition';

export interface MetricsListenerOptions {
  listen: ListenAddress;
  token: string | undefined;
  render: () => Promise<string>;
  logger: Logger;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Pure: whether the request's Authorization header carries `token` (always, when none is asked). */
export function authorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const m = /^Bearer (.+)$/.exec(header ?? '');
  // Equal-length digests: the comparison takes as long whatever the guess.
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

export async function startMetricsListener(o: MetricsListenerOptions): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return answer(res, 404, 'not found: metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (!authorized(req.headers.authorization, o.token)) return answer(res, 401, 'unauthorized\n', { 'www-authenticate': 'Bearer' });
    o.render().then(
      (text) => answer(res, 200, req.method === 'HEAD' ? '' : text, { 'content-type': CONTENT_TYPE }),
      (err: unknown) => {
        // The reason stays in the log: a scrape error says only that it failed.
        o.logger.error({ err }, 'metrics scrape failed');
        answer(res, 500, 'metrics scrape failed; see the API log\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
