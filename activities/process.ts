// The one place that spawns child processes for activities: line-splits output, stops the
// child on cancellation (SIGINT, then SIGKILL after a grace period) and keeps only a
// bounded tail of stderr so a chatty command cannot exhaust memory.
import { spawn } from 'node:child_process';

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
  killGraceMs?: number;
  /** Run through `sh -c` (hooks and scripts). */
  shell?: boolean;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  aborted: boolean;
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
      resolve({ exitCode: null, signal: null, stdout: '', stderrTail: '', aborted: true });
      return;
    }
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: opts.shell ?? false,
      // Its own process group, so a cancelled hook's grandchildren die with it.
      detached: true,
    });
    let stdout = '';
    let stderrTail = '';
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const out = lineSplitter((l) => opts.onStdoutLine?.(l));
    const err = lineSplitter((l) => opts.onStderrLine?.(l));

    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup('SIGINT');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 10_000);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('spawn', () => {
      if (child.pid) opts.onSpawn?.(child.pid);
    });
    if (opts.stdoutTo) child.stdout.pipe(opts.stdoutTo, { end: false });
    else
      child.stdout.on('data', (chunk: Buffer) => {
        if (opts.captureStdout) stdout += chunk.toString('utf8');
        out.push(chunk);
      });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      err.push(chunk);
    });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode: code, signal, stdout, stderrTail, aborted });
    });
  });
}
