import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { BackstopConfig } from '../core/config';

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

export async function connectClient(config: BackstopConfig): Promise<Client> {
  const connection = await retrying(`cannot reach Temporal at ${config.temporalAddress}`, () => Connection.connect({ address: config.temporalAddress }));
  return new Client({ connection, namespace: config.temporalNamespace });
}

export function connectWorker(config: BackstopConfig): Promise<NativeConnection> {
  return retrying(`cannot reach Temporal at ${config.temporalAddress}`, () => NativeConnection.connect({ address: config.temporalAddress }));
}

/** Resolves on the first SIGINT/SIGTERM; workers then drain and exit. */
export function onShutdownSignal(fn: () => void): void {
  const handler = () => fn();
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
