// A real HTTP receiver on loopback for the notification tests: records every request (method,
// path, headers, raw body) before it answers, and answers per path as the test says (status,
// body), 200 "ok" otherwise. A path set to `hang` never answers (for timeouts).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  hang?: boolean;
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  base: string;
  requests: ReceivedRequest[];
  /** The requests to a path (without the query). */
  to(path: string): ReceivedRequest[];
  answer(path: string, answer: Answer): void;
  stop(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const answers = new Map<string, Answer>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ method: req.method ?? '', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      const a = answers.get(path) ?? { status: 200, body: 'ok' };
      if (a.hang) {
        hanging.add(res);
        return;
      }
      res.writeHead(a.status, { 'Content-Type': 'text/plain', ...a.headers });
      res.end(a.status === 204 ? undefined : a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path.split('?')[0] === path),
    answer: (path, a) => answers.set(path, a),
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
