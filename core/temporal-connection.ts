import { readFileSync } from 'node:fs';
import { Connection, Client, type ConnectionLike, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { BackstopConfig } from './config';
import { SearchAttribute } from '../contract/names';

/** Retries while the Temporal server is still starting (the embedded stack starts it alongside). */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * TLS to Temporal (production clusters) from BACKSTOP_TEMPORAL_TLS_CA / _CERT / _KEY; none
 * set means plain, as the dev server of the embedded stack speaks. A client certificate
 * needs both halves.
 */
export function temporalTlsConfig(tls: BackstopConfig['temporalTls'], read: (path: string) => Buffer = (p) => readFileSync(p)): TLSConfig | undefined {
  if (!tls) return undefined;
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new Error('BACKSTOP_TEMPORAL_TLS_CERT and BACKSTOP_TEMPORAL_TLS_KEY go together');
  return {
    ...(tls.caFile ? { serverRootCACertificate: read(tls.caFile) } : {}),
    ...(tls.certFile && tls.keyFile ? { clientCertPair: { crt: read(tls.certFile), key: read(tls.keyFile) } } : {}),
  };
}

export async function connectClient(config: BackstopConfig): Promise<Client> {
  const tls = temporalTlsConfig(config.temporalTls);
  const connection = await retrying(`cannot reach Temporal at ${config.temporalAddress}`, () => Connection.connect({ address: config.temporalAddress, tls }));
  return new Client({ connection, namespace: config.temporalNamespace });
}

export async function connectWorker(config: BackstopConfig): Promise<NativeConnection> {
  // Loaded here, not at the top: processes that only need a client (the API, `backstop up`)
  // then never load the worker package and its native bridge (~30 MB each at rest).
  const { NativeConnection } = await import('@temporalio/worker');
  const tls = temporalTlsConfig(config.temporalTls);
  return retrying(`cannot reach Temporal at ${config.temporalAddress}`, () => NativeConnection.connect({ address: config.temporalAddress, tls }));
}

/**
 * Waits until the namespace lists every Backstop search attribute. The dev server registers
 * them at start-up (`--search-attribute`), but a client can get there first; production
 * registers them once (docker-compose's temporal-setup, or `temporal operator
 * search-attribute create`). A run started before they exist fails to start.
 */
export async function waitForSearchAttributes(connection: Pick<ConnectionLike, 'operatorService'>, namespace: string, timeoutMs = 60_000): Promise<void> {
  const wanted = Object.values(SearchAttribute);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let missing: string[] = wanted;
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace });
      missing = wanted.filter((name) => !(name in (res.customAttributes ?? {})));
      if (missing.length === 0) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) {
      throw new Error(`search attributes ${missing.join(', ')} are not registered in namespace ${namespace}: run \`temporal operator search-attribute create --name <name> --type Keyword\` for each`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Resolves on the first SIGINT/SIGTERM; workers then drain and exit. */
export function onShutdownSignal(fn: () => void): void {
  const handler = () => fn();
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
