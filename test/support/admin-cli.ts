// `backstop admin …` as an operator runs it: the compiled CLI in a process of its own, so a
// test can kill -9 it part-way. Output is collected for the test to read.
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT, cliArgs } from './tools';

export interface AdminRun {
  proc: ChildProcess;
  /** Resolves once the process has exited, with its code (null when killed) and output. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startAdmin(args: string[], env: Record<string, string>): AdminRun {
  const proc = spawn(process.execPath, cliArgs('admin', ...args), { cwd: ROOT, env: { ...(process.env as Record<string, string>), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { proc, done };
}

export function runAdmin(args: string[], env: Record<string, string>): AdminRun['done'] {
  return startAdmin(args, env).done;
}
