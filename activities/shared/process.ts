// The one place that spawns child processes for activities: line-splits output, stops the
// child on cancellation or when it stalls (SIGINT, then SIGKILL after a grace period) and
// keeps only a bounded tail of stderr so a chatty command cannot exhaust memory.
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { StallWatch, type StallClock } from './stall-watch';
import { bytesReadBy } from './process-io';

/** Stop the child when its progress has not moved for `timeoutMs` (see stall-watch.ts). */
export interface StallOptions {
  timeoutMs: number;
  /**
   * The progress so far, read after every output line the callbacks have seen. Without it
   * any output counts as progress (hooks and scripts: silence is the stall).
   */
  fingerprint?: () => string;
  /**
   * The bytes the child reads count as progress too (rchar of /proc/<pid>/io, sampled on
   * every check): restic uploads its last packs after its files/bytes counters have
   * reached 100%, reading them back from its temporary files. Its own output does not count.
   */
  countReads?: boolean;
  clock?: StallClock;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  onSpawn?: (pid: number) => void;
  /** Keep the whole stdout (for commands whose output is one JSON document). */
  captureStdout?: boolean;
  /** Pipe stdout, raw and with backpressure, into this stream (left open) instead of splitting lines. */
  stdoutTo?: NodeJS.WritableStream;
  /** Between SIGINT and SIGKILL when the child is stopped (BACKSTOP_CANCEL_GRACE_MS); default 10 s. */
  killGraceMs?: number;
  stall?: StallOptions;
  /** Run through `sh -c` (hooks and scripts). */
  shell?: boolean;
  /** Feed the child's stdin from this stream (a database restore reading a dump); none by default. */
  stdinFrom?: NodeJS.ReadableStream;
  /**
   * Give the child a fourth descriptor, fd 3, a socket whose other end is handed to this
   * callback (pull mode: sshfs speaks SFTP over it). It is closed when the child exits, so
   * whatever still holds it in the child's group sees end-of-file rather than keeping the run open.
   */
  channel?: (socket: Duplex) => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  aborted: boolean;
  /** Stopped by the stall watch: no progress for `stalledForMs`. */
  stalled: boolean;
  stalledForMs: number;
  /** The child ignored SIGINT for the grace period and was killed with SIGKILL. */
  killed: boolean;
}

const STDERR_TAIL_BYTES = 16 * 1024;

function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
    end() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}

export function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stderrTail: '', aborted: true, stalled: false, stalledForMs: 0, killed: false });
      return;
    }
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env },
      stdio: opts.channel ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      shell: opts.shell ?? false,
      // Its own process group, so a cancelled hook's grandchildren die with it.
      detached: true,
    });
    let stdout = '';
    let stderrTail = '';
    let aborted = false;
    let stalledForMs = 0;
    let killed = false;
    let killTimer: NodeJS.Timeout | undefined;
    let chunks = 0;
    const out = lineSplitter((l) => opts.onStdoutLine?.(l));
    const err = lineSplitter((l) => opts.onStderrLine?.(l));

    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    // SIGINT first (restic removes its lock on it), SIGKILL once the grace period is over.
    const stop = () => {
      if (killTimer) return;
      killGroup('SIGINT');
      killTimer = setTimeout(() => {
        killed = true;
        killGroup('SIGKILL');
      }, opts.killGraceMs ?? 10_000);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const stallFingerprint = () => {
      const own = opts.stall?.fingerprint ? opts.stall.fingerprint() : String(chunks);
      return opts.stall?.countReads && child.pid ? `${own}|${bytesReadBy(child.pid) ?? ''}` : own;
    };
    const watch = opts.stall
      ? new StallWatch({
          timeoutMs: opts.stall.timeoutMs,
          clock: opts.stall.clock,
          sample: opts.stall.countReads ? stallFingerprint : undefined,
          // Reported as the configured timeout: the reason reads "no progress for 10m0s",
          // not the few milliseconds more it took the watch to notice.
          onStall: () => {
            stalledForMs = opts.stall!.timeoutMs;
            stop();
          },
        }).start()
      : null;
    const progressed = () => {
      chunks++;
      watch?.observe(stallFingerprint());
    };

    // A child that exits early closes its stdin: that is its exit status's business, not a crash.
    child.stdin.on('error', () => undefined);
    // Without a source the child reads end-of-file at once, as from /dev/null.
    if (opts.stdinFrom) opts.stdinFrom.pipe(child.stdin);
    else child.stdin.end();
    child.on('spawn', () => {
      if (child.pid) opts.onSpawn?.(child.pid);
    });
    // The leader obeyed the stop. A descendant it forked just as the SIGINT went out can miss
    // it and would hold the pipes (and the run) open until the grace period ends: end the rest
    // of the group now. Not counted as `killed`: the process itself stopped cleanly.
    const channel = opts.channel ? (child.stdio[3] as Duplex | null) : null;
    if (channel) opts.channel!(channel);
    child.on('exit', () => {
      if (killTimer && !killed) killGroup('SIGKILL');
      channel?.destroy();
    });
    if (opts.stdoutTo) {
      child.stdout.pipe(opts.stdoutTo, { end: false });
      child.stdout.on('data', progressed);
    } else
      child.stdout.on('data', (chunk: Buffer) => {
        if (opts.captureStdout) stdout += chunk.toString('utf8');
        out.push(chunk);
        progressed();
      });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      err.push(chunk);
      progressed();
    });
    child.on('error', (e) => {
      watch?.stop();
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      watch?.stop();
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stalled = watch?.stalled === true && !aborted;
      resolve({ exitCode: code, signal, stdout, stderrTail, aborted, stalled, stalledForMs: stalled ? stalledForMs : 0, killed });
    });
  });
}
