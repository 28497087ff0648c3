// `backstop up` (README command 1) as a test drives it: started on a data directory and free
// ports, its output collected, waited on by what it prints, and its processes found in /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ports';
import { environOf, listProcesses } from './procfs';
import { waitFor } from './wait';
import { ROOT } from './tools';

export interface UpPorts {
  api: number;
  temporal: number;
  ui: number;
}

export interface Up {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

export async function freeUpPorts(): Promise<UpPorts> {
  return { api: await freePort(), temporal: await freePort(), ui: await freePort() };
}

export function startUp(dataDir: string, ports: UpPorts, args: string[] = [], env: Record<string, string> = {}): Up {
  let out = '';
  const proc = spawn(join(ROOT, 'bin', 'backstop'), ['up', ...args], {
    env: {
      ...process.env,
      BACKSTOP_DATA_DIR: dataDir,
      BACKSTOP_API_PORT: String(ports.api),
      BACKSTOP_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      BACKSTOP_UI_PORT: String(ports.ui),
      DATABASE_URL: '',
      BACKSTOP_MASTER_KEY: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => out, exited };
}

/** Waits until the launcher has printed `what`; fails at once if it exits first. */
export async function untilUp(up: Up, what: RegExp, timeoutMs = 300_000): Promise<void> {
  // An exit ends the wait at once (a throw inside waitFor would only count as "not yet").
  await waitFor(`backstop up: ${what}`, async () => up.proc.exitCode !== null || what.test(up.out()), timeoutMs, 300);
  if (!what.test(up.out())) throw new Error(`up exited early:\n${up.out()}`);
}

/** Ctrl-C, then the launcher's exit code. */
export async function stopUp(up: Up | undefined): Promise<number | null> {
  if (!up) return null;
  if (up.proc.exitCode === null && up.proc.signalCode === null) up.proc.kill('SIGINT');
  return up.exited;
}

/** The admin token the launcher prints on a first start. */
export function adminTokenOf(up: Up): string {
  const token = /token: (bst_\S+)\)/.exec(up.out())?.[1];
  if (!token) throw new Error(`backstop up printed no admin token:\n${up.out()}`);
  return token;
}

/** The launcher's own children (the supervised processes), with their command lines. */
export function childrenOf(launcher: number): Array<{ pid: number; cmd: string }> {
  return listProcesses()
    .filter((p) => p.ppid === launcher && p.state !== 'Z')
    .map(({ pid, cmd }) => ({ pid, cmd }));
}

/** Every process whose command line or environment names this data directory. */
export function processesOfDataDir(dataDir: string): number[] {
  return listProcesses()
    .filter((p) => p.state !== 'Z' && (p.cmd.includes(dataDir) || (environOf(p.pid) ?? '').includes(`BACKSTOP_DATA_DIR=${dataDir}\0`)))
    .map((p) => p.pid);
}
