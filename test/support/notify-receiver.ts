// A real HTTP receiver on loopback for the notification pipeline's tests (beside http-receiver.ts,
// which answers per path for the channel tests): records every request (method,
// path, headers, body) and answers with whatever `answer` decides at that moment (up, down,
// refusing), so a test can take a receiver down and bring it back.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  answeredWith: number;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The bodies it answered with 2xx, parsed as JSON. */
  accepted(): unknown[];
  /** How the next requests are answered; the default is 200 with body `ok`. */
  answer: (req: { path: string; body: string }) => Promise<{ status: number; body?: string }> | { status: number; body?: string };
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const receiver: Omit<HttpReceiver, 'url' | 'close'> = {
    requests: [],
    accepted: () => receiver.requests.filter((r) => r.answeredWith < 300).map((r) => JSON.parse(r.body) as unknown),
    answer: () => ({ status: 200, body: 'ok' }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      void Promise.resolve(receiver.answer({ path, body }))
        .catch(() => ({ status: 500, body: 'receiver error' }))
        .then((a) => {
          receiver.requests.push({ method: req.method ?? '', path, headers: req.headers, body, answeredWith: a.status });
          res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body ?? '');
        });
    });
  });
  // Connections end with each answer, so close() does not wait for idle keep-alives.
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  });
}
