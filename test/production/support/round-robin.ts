// A TCP load balancer in front of the API processes, as an operator puts one (HAProxy, a
// Kubernetes service): each new connection goes to the next backend in turn, and one that
// refuses the connection (a killed API process) is skipped. Plain TCP, so the mTLS listener
// behind it sees the agent's own certificate.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface RoundRobin {
  port: number;
  /** Connections each backend took, by backend port. */
  served: Map<number, number>;
  close(): Promise<void>;
}

export function startRoundRobin(port: number, backends: number[]): Promise<RoundRobin> {
  let next = 0;
  const served = new Map<number, number>(backends.map((b) => [b, 0]));
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const connect = (client: Socket, tried: number) => {
    if (tried >= backends.length) {
      client.destroy();
      return;
    }
    const backend = backends[next++ % backends.length]!;
    const upstream = createConnection({ host: '127.0.0.1', port: backend });
    track(upstream);
    upstream.once('connect', () => {
      served.set(backend, (served.get(backend) ?? 0) + 1);
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      upstream.destroy();
      connect(client, tried + 1);
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => undefined);
    connect(client, 0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port,
        served,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
