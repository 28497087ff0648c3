// Runs a database client and turns its failure into a typed error with the common cause
// named (failures.ts). Configuration problems (bad password, unknown host or database) are
// not retried; anything else may be.
import { createWriteStream } from 'node:fs';
import { BackstopError, ErrorType } from '../../../../contract/errors';
import { runProcess } from '../../process';
import { classifyDbFailure, describeDbFailure } from './failures';

export interface ClientRun {
  command: string;
  args: string[];
  env: Record<string, string>;
  signal?: AbortSignal;
  /** Write stdout to this file (0600) instead of collecting it. */
  stdoutFile?: string;
  stdinFrom?: NodeJS.ReadableStream;
  onStderrLine?: (line: string) => void;
}

const CONFIG_FAILURES = new Set(['authentication failed', 'unknown host', 'database does not exist']);

export async function runClient(run: ClientRun): Promise<string> {
  const tool = run.command.split('/').pop()!;
  const file = run.stdoutFile ? createWriteStream(run.stdoutFile, { mode: 0o600 }) : undefined;
  const r = await runProcess(run.command, run.args, {
    env: run.env,
    signal: run.signal,
    captureStdout: !file,
    ...(file ? { stdoutTo: file } : {}),
    ...(run.stdinFrom ? { stdinFrom: run.stdinFrom } : {}),
    onStderrLine: run.onStderrLine,
  }).catch((e: NodeJS.ErrnoException) => {
    throw new BackstopError(ErrorType.input, e.code === 'ENOENT' ? `${tool}: client not installed (${run.command} not found)` : `${tool}: ${e.message}`);
  });
  if (file) await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
  if (r.aborted) throw new BackstopError(ErrorType.engine, `${tool}: cancelled`);
  if (r.exitCode !== 0) {
    const failure = classifyDbFailure(r.stderrTail);
    throw new BackstopError(failure && CONFIG_FAILURES.has(failure) ? ErrorType.input : ErrorType.engine, describeDbFailure(tool, r.stderrTail, r.exitCode));
  }
  return r.stdout;
}
