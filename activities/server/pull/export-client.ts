// The server worker's end of a pull export's channel (the agent's end and why the TLS roles
// are turned round: activities/agent/export/export-server.ts). The server worker dials the
// agent, then acts as the TLS server with its server-worker certificate and demands the
// certificate of the run's agent, checked against the internal CA.
import { connect as netConnect } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { verifyIssuedBy } from '../../../core/certificates';
import { BackstopError, ErrorType } from '../../../contract/errors';
import type { ExportEndpoint } from '../../../contract/pull';

export interface ServerWorkerTls {
  keyPem: string;
  certPem: string;
  caPem: string;
}

/** The export could not be reached, or its connection broke: the run's export step is redone. */
export class ExportLostError extends BackstopError {
  constructor(message: string) {
    super(ErrorType.exportLost, message);
  }
}

/** Connects to the export and proves that `agentName` serves it, with a certificate of the internal CA. */
export async function connectExport(endpoint: ExportEndpoint, agentName: string, tls: ServerWorkerTls, timeoutMs = 30_000): Promise<TLSSocket> {
  const where = `${endpoint.host}:${endpoint.port}`;
  const tcp = netConnect({ host: endpoint.host, port: endpoint.port });
  // Every SFTP request waits for its answer: without this each small read waits for Nagle.
  tcp.setNoDelay(true);
  const socket = new TLSSocket(tcp, { isServer: true, key: tls.keyPem, cert: tls.certPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      tcp.once('error', fail);
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('connection closed during the handshake')));
      socket.once('secure', () => {
        clearTimeout(timer);
        tcp.off('error', fail);
        socket.off('error', fail);
        resolve();
      });
    });
  } catch (err) {
    socket.destroy();
    throw new ExportLostError(`agent export at ${where}: ${(err as Error).message}`);
  }
  // Checked here rather than through `socket.authorized`, which only a tls.Server fills in.
  const peer = socket.getPeerCertificate();
  const name = peer?.subject?.CN;
  const peerPem = peer?.raw ? new X509Certificate(peer.raw).toString() : null;
  if (!peerPem || !verifyIssuedBy(peerPem, tls.caPem) || name !== agentName) {
    socket.destroy();
    throw new BackstopError(ErrorType.unauthorized, `agent export at ${where}: the peer is ${JSON.stringify(name ?? null)}${peerPem && !verifyIssuedBy(peerPem, tls.caPem) ? ' (not issued by the internal CA, or expired)' : ''}, not agent ${JSON.stringify(agentName)} with a certificate of the internal CA`);
  }
  socket.on('error', () => undefined);
  return socket;
}

/** An open export channel as the engine step sees it: handed to the wrapper's fd 3, and watched. */
export interface ChannelWatch {
  /** Aborts when the step is cancelled or the channel breaks while the engine uses it. */
  signal: AbortSignal;
  /** Whether the channel broke before `done` was called. */
  lost(): boolean;
  /** Pipes the channel to the wrapper's fd 3 (EngineLauncher.attach). */
  attach(channel: unknown): void;
  /** The engine has ended: a close from now on is the normal end. */
  done(): void;
}

/**
 * The channel breaking while the engine uses it (the agent died, the network went) must stop
 * the engine at once: a backup would save a snapshot with every unread file missing, a
 * restore would leave the rest unwritten without saying so.
 */
export function watchChannel(socket: TLSSocket, cancellation: AbortSignal): ChannelWatch {
  let lost = false;
  let finished = false;
  const abort = new AbortController();
  const onCancel = () => abort.abort();
  cancellation.addEventListener('abort', onCancel, { once: true });
  socket.once('close', () => {
    if (finished) return;
    lost = true;
    abort.abort();
  });
  return {
    signal: abort.signal,
    lost: () => lost,
    attach: (channel) => {
      const fd3 = channel as Duplex;
      fd3.on('error', () => undefined);
      socket.pipe(fd3);
      fd3.pipe(socket);
    },
    done: () => {
      finished = true;
      cancellation.removeEventListener('abort', onCancel);
    },
  };
}
