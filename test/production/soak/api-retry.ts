// The soak talks to a system that is being killed: an API call may meet a dead API, a closed
// balancer connection, or an API whose catalog is restarting. Those are retried, as a client
// (the CLI, an agent) would; anything else (a 4xx the request earned) fails at once, since
// retrying cannot help and the soak's own request is then wrong.
import { ApiError } from '../../../core/api-client';

export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status >= 500 || err.status === 409 || err.status === 429;
  // fetch's "fetch failed" (connection refused or reset) and aborted sockets.
  return err instanceof TypeError || (err as NodeJS.ErrnoException)?.code === 'ECONNRESET';
}

/**
 * Calls `fn` until it succeeds, a non-transient error or `timeoutMs` passes; `onRetry` sees
 * every transient failure (the caller counts them). Waits 0.5 s, then up to 2 s, between tries.
 * `transient` tells which errors are worth another try (by default: the API's, above).
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs: number, onRetry?: (err: unknown) => void, transient: (err: unknown) => boolean = isTransient): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!transient(err)) throw err;
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${Math.round(timeoutMs / 1000)} s: ${(err as Error).message}`);
      onRetry?.(err);
      await new Promise((r) => setTimeout(r, Math.min(2_000, 500 * attempt)));
    }
  }
}
