// Waiting on what the system reports: every test that waits for something polls it here,
// with a deadline that only a stuck test reaches (never a bound on how fast the machine is).

/** Extra room on a loaded machine: polled conditions get this long unless a test says otherwise. */
export const DEFAULT_WAIT_MS = 60_000;

/**
 * Polls `fn` every `everyMs` until it returns something truthy, and returns that. A throw
 * counts as "not yet" (the thing may not exist yet), except an error made by `fatal()`
 * (a server that exited will not come up): that fails at once. Past `timeoutMs` it fails
 * with `what` and the last error seen.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = DEFAULT_WAIT_MS, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err instanceof FatalWait) throw new Error(`${what}: ${err.message}`);
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

class FatalWait extends Error {}

/** An error that ends a waitFor at once instead of counting as "not yet". */
export function fatal(message: string): Error {
  return new FatalWait(message);
}
