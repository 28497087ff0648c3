import { createServer } from 'node:net';

// Ports for the servers a test starts (PostgreSQL, Temporal, the API, S3, MariaDB). Each jest
// worker takes them from its own block below the kernel's ephemeral range (32768+): a port
// asked from the kernel and released could be handed to a parallel test file, or to any
// outgoing connection, before the server that was meant to have it binds it.
const BLOCK = 2_000;
const FIRST = 12_000;
const worker = Math.max(1, Number(process.env.JEST_WORKER_ID ?? '1'));
const base = FIRST + ((worker - 1) % 10) * BLOCK;
// A random start per test file, so a file does not reuse the ports the previous file's
// servers (stopped, maybe still closing) had.
let next = Math.floor(Math.random() * BLOCK);

function available(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free loopback TCP port from this worker's block. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < BLOCK; tried++) {
    const port = base + (next++ % BLOCK);
    if (await available(port)) return port;
  }
  throw new Error(`no free port in ${base}-${base + BLOCK - 1}`);
}
