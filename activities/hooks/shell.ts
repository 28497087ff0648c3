// Shell hooks: a command run through `sh -c` with job fields as BACKSTOP_* variables,
// killed with its whole process group on timeout or cancellation.
import { BackstopError, ErrorType } from '../../core/errors';
import { runProcess } from '../process';

export interface HookRequest {
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Every line the hook prints, as it prints it (the run log). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface HookResult {
  exitCode: number | null;
  output: string[];
}

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
  const keep = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (output.length < MAX_OUTPUT_LINES) output.push(line);
    req.onLine?.(stream, line);
  };
  const r = await runProcess('/bin/sh', ['-c', req.command], { env: req.env, signal, onStdoutLine: keep('stdout'), onStderrLine: keep('stderr'), killGraceMs: 2_000 });
  if (r.aborted) {
    const why = timeout.aborted ? `timed out after ${req.timeoutMs} ms` : 'cancelled';
    throw new BackstopError(ErrorType.hook, `hook ${why}`);
  }
  return { exitCode: r.exitCode, output };
}
