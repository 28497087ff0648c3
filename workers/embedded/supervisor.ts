// The embedded stack's children, supervised: started in order, restarted with backoff when
// one exits on its own (one failing part never takes the others down), kept down when its
// exit code says a restart cannot help, and stopped in reverse order with SIGTERM, then
// SIGKILL after a grace period.
//
// Every child is started through `setpriv --pdeathsig` where util-linux has it: if the
// launcher itself is killed (kill -9), the kernel signals each child, so none is left
// holding ports, the catalog or the Temporal database.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Exit codes after which the child stays down, each with what to tell the operator. */
  stayDown?: Record<number, string>;
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A child that ran this long before it exited starts again from `initialMs`. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * How long to wait before restart number `restarts + 1` of a child that ran for `ranForMs`
 * (pure). Doubling from `initialMs` up to `maxMs`; a long healthy run resets the count.
 */
export function restartDelay(restarts: number, ranForMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): { delayMs: number; restarts: number } {
  const count = ranForMs >= policy.resetAfterMs ? 0 : restarts;
  return { delayMs: Math.min(policy.maxMs, policy.initialMs * 2 ** count), restarts: count + 1 };
}

const SETPRIV = '/usr/bin/setpriv';

/** `command args`, run so that it receives `signal` when its parent dies (when setpriv exists). */
export function diesWithParent(command: string, args: string[], signal: 'TERM' | 'INT' = 'TERM'): { command: string; args: string[] } {
  if (command === 'setpriv' || command === SETPRIV || !existsSync(SETPRIV)) return { command, args };
  return { command: SETPRIV, args: ['--pdeathsig', signal, '--', command, ...args] };
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess | null;
  startedAt: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
  down: boolean;
}

export class Supervisor {
  private readonly children: Running[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    /** Where the supervisor says what it does (a line each). */
    private readonly say: (line: string) => void,
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** Starts `spec` and keeps it running until stopAll(). */
  start(spec: ChildSpec): void {
    const child: Running = { spec, proc: null, startedAt: 0, restarts: 0, timer: null, down: false };
    this.children.push(child);
    this.launch(child);
  }

  /** The children that are down for good (their stayDown exit), by name. */
  downForGood(): string[] {
    return this.children.filter((c) => c.down).map((c) => c.spec.name);
  }

  pid(name: string): number | undefined {
    return this.children.find((c) => c.spec.name === name)?.proc?.pid;
  }

  private launch(child: Running): void {
    const { spec } = child;
    const log = createWriteStream(join(this.logDir, `${spec.name}.log`), { flags: 'a' });
    // Each child leads a process group of its own, so stopAll reaches what it started too (an
    // engine, a version probe, a catalog backend) and nothing of the stack outlives a stop.
    const proc = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    proc.on('error', (err) => this.say(`backstop: ${spec.name} could not start: ${err.message}`));
    proc.on('exit', (code, signal) => {
      log.end();
      if (this.stopping) return;
      const how = code !== null ? `code ${code}` : `signal ${signal}`;
      const logFile = join(this.logDir, `${spec.name}.log`);
      const stay = code !== null ? spec.stayDown?.[code] : undefined;
      if (stay) {
        child.down = true;
        this.say(`backstop: ${spec.name} exited (${how}) and stays down: ${stay} (log: ${logFile})`);
        return;
      }
      const next = restartDelay(child.restarts, Date.now() - child.startedAt, this.policy);
      child.restarts = next.restarts;
      this.say(`backstop: ${spec.name} exited unexpectedly (${how}); restart ${next.restarts} in ${Math.round(next.delayMs / 1000)} s (log: ${logFile})`);
      child.timer = setTimeout(() => {
        child.timer = null;
        if (!this.stopping) this.launch(child);
      }, next.delayMs);
    });
    child.proc = proc;
    child.startedAt = Date.now();
  }

  /** Stops every child, last started first: SIGTERM, then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      if (child.timer) clearTimeout(child.timer);
      const proc = child.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      signalGroup(proc, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Whatever of the group is still there (a grandchild that ignored or had not yet seen
      // SIGTERM) goes now: the leader is gone, nobody would stop it later.
      signalGroup(proc, 'SIGKILL');
    }
  }
}

/** Signals the child's whole process group (it leads one: spawned detached); gone is fine. */
function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
