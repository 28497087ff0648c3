// Shell hooks: a command run through `sh -c` with job fields as BACKSTOP_* variables,
// killed with its whole process group on timeout, cancellation, or when it stalls (no
// output and no exit for the stall timeout).
import { BackstopError, ErrorType } from '../../../contract/errors';
import { runProcess } from '../process';
import { formatDuration } from '../stall-watch';
import type { HookResult } from '../../../contract/backup-activities';

export interface HookRequest {
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Every line the hook prints, as it prints it (the run log). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Silence (no output line) for this long stops the hook as stalled; none by default. */
  stallTimeoutMs?: number;
  /** Between SIGINT and SIGKILL; 2 s by default. */
  killGraceMs?: number;
  /** How errors name it: `hook`, `pre script`, … */
  label?: string;
  /** The working directory; the worker's own by default. */
  cwd?: string;
}

/** Settings every hook of a worker shares (from BACKSTOP_STALL_TIMEOUT_MS and BACKSTOP_CANCEL_GRACE_MS). */
export interface HookLimits {
  stallTimeoutMs?: number;
  killGraceMs?: number;
}

const LAST_LINE_CHARS = 120;

const MAX_OUTPUT_LINES = 200;

/** `{ jobId: 4 }` → `{ BACKSTOP_JOB_ID: '4' }`. */
export function hookEnv(fields: Record<string, string | number | boolean | string[] | null>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) continue;
    const name = `BACKSTOP_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
    env[name] = Array.isArray(value) ? value.join('\n') : String(value);
  }
  return env;
}

export async function runHook(req: HookRequest): Promise<HookResult> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const output: string[] = [];
  let lastLine: string | null = null;
  const keep = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (line.trim() !== '') lastLine = line;
    if (output.length < MAX_OUTPUT_LINES) output.push(line);
    req.onLine?.(stream, line);
  };
  const label = req.label ?? 'hook';
  const r = await runProcess('/bin/sh', ['-c', req.command], {
    env: req.env,
    ...(req.cwd ? { cwd: req.cwd } : {}),
    signal,
    onStdoutLine: keep('stdout'),
    onStderrLine: keep('stderr'),
    killGraceMs: req.killGraceMs ?? 2_000,
    ...(req.stallTimeoutMs ? { stall: { timeoutMs: req.stallTimeoutMs } } : {}),
  });
  if (r.aborted) {
    const why = timeout.aborted ? `timed out after ${req.timeoutMs} ms` : 'cancelled';
    throw new BackstopError(ErrorType.hook, `${label} ${why}`);
  }
  if (r.stalled) {
    const last = lastLine as string | null;
    const after = last ? ` after "${last.slice(0, LAST_LINE_CHARS)}"` : ' (it printed nothing)';
    throw new BackstopError(ErrorType.stalled, `${label} stalled: no output for ${formatDuration(r.stalledForMs)}${after}`);
  }
  return { exitCode: r.exitCode, output };
}
