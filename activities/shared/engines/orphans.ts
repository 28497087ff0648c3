// An engine child outlives a worker killed with -9. Its PID is recorded per run, and the
// next attempt of that run stops it before touching the repository, so two processes
// never write snapshots for one run.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export class EngineProcessRegistry {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(runKey: string): string {
    return join(this.dir, `${createHash('sha256').update(runKey).digest('hex').slice(0, 32)}.pid`);
  }

  record(runKey: string, pid: number): void {
    writeFileSync(this.file(runKey), `${pid}\n`, { mode: 0o600 });
  }

  clear(runKey: string): void {
    rmSync(this.file(runKey), { force: true });
  }

  /** Stops the process recorded for this run (see stopRecorded) and forgets the record. Returns the PID it stopped, or null. */
  async stopLeftover(runKey: string, marker: string, timeoutMs = 15_000): Promise<number | null> {
    const pid = await stopRecorded(this.file(runKey), marker, timeoutMs);
    this.clear(runKey);
    return pid;
  }

  /**
   * Stops every recorded process that still carries `marker` (a worker starting after a
   * crash: none of them has an owner any more) and forgets every record. Returns the PIDs stopped.
   */
  async stopAll(marker: string, timeoutMs = 15_000): Promise<number[]> {
    const stopped: number[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.pid')) continue;
      const file = join(this.dir, name);
      const pid = await stopRecorded(file, marker, timeoutMs);
      if (pid !== null) stopped.push(pid);
      rmSync(file, { force: true });
    }
    return stopped;
  }
}

/**
 * Kills the process a PID file names if it is still alive and still carries `marker` on its
 * command line (a PID may have been reused by an unrelated process), and waits for it to go.
 * Returns the PID it stopped, or null.
 */
async function stopRecorded(file: string, marker: string, timeoutMs: number): Promise<number | null> {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !commandLineHas(pid, marker)) return null;
  signal(pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pid;
}

export function commandLineHas(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0); it holds no lock and writes nothing.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
