// Child processes of the embedded stack: started in order, stopped in reverse order with
// SIGTERM then SIGKILL, and a child that dies on its own brings the stack down loudly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export class ChildSet {
  private readonly children: Array<{ spec: ChildSpec; proc: ChildProcess }> = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: (name: string, code: number | null) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  start(spec: ChildSpec): ChildProcess {
    const log = createWriteStream(join(this.logDir, `${spec.name}.log`), { flags: 'a' });
    const proc = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    proc.on('exit', (code) => {
      if (!this.stopping) this.onUnexpectedExit(spec.name, code);
    });
    this.children.push({ spec, proc });
    return proc;
  }

  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    for (const { proc } of [...this.children].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }
}
