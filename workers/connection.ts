import { Connection, Client, type ConnectionLike } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { BackstopConfig } from '../core/config';
import { SearchAttribute } from '../core/names';

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
