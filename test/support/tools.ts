// Where the project-local binaries live (installed by scripts/setup.sh). Tests never let
// the SDK download a server: there is no internet here.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const TOOLS_BIN = join(ROOT, '.tools', 'venv', 'bin');

export function toolPath(name: 'temporal' | 'temporal-test-server'): string {
  const p = join(TOOLS_BIN, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/setup.sh first`);
  return p;
}

/** How a test starts the backstop CLI: node on the compiled JavaScript (built by the integration global setup). */
export function cliArgs(...args: string[]): string[] {
  return ['--enable-source-maps', join(ROOT, 'dist', 'cli', 'main.js'), ...args];
}
