// Running schemathesis (PyPI, installed by setup into .tools/venv) against a Backstop API, and
// reading what the API logged meanwhile: shared by the embedded stack's fuzzing
// (test/integration/api-fuzz.test.ts) and the production topology's (test/production/).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools';

const PYTHON = join(ROOT, '.tools', 'venv', 'bin', 'python');
/** The schemathesis CLI with workarounds for two crashes of the fuzzer itself (see the file). */
const SCHEMATHESIS = join(ROOT, 'test', 'fuzz', 'schemathesis_cli.py');
/** Fixed, so a run is repeatable; BACKSTOP_FUZZ_SEED explores elsewhere. */
export const FUZZ_SEED = process.env.BACKSTOP_FUZZ_SEED || '20261202';

export function schemathesisInstalled(): boolean {
  return existsSync(join(ROOT, '.tools', 'venv', 'bin', 'schemathesis'));
}

export interface FuzzResult {
  code: number | null;
  output: string;
  /** From the failures on, each line cut short: a reproducing curl can hold a 16 KiB URL. */
  summary: string;
  /** "N generated" from schemathesis' summary (0 when it printed none). */
  casesGenerated: number;
}

export function runSchemathesis(apiUrl: string, token: string, opts: { maxSeconds: number; maxExamples?: number }): Promise<FuzzResult> {
  const args = [
    '--config-file', join(ROOT, 'test', 'fuzz', 'schemathesis.toml'),
    'run', join(ROOT, 'openapi', 'backstop.yaml'),
    '--url', apiUrl,
    '--header', `Authorization: Bearer ${token}`,
    '--workers', '2',
    '--max-examples', String(opts.maxExamples ?? 25),
    // Every check runs by default; `--checks all` here would also override the one the
    // configuration turns off for the stateful phase.
    '--request-timeout', '20',
    '--max-time', String(opts.maxSeconds),
    '--seed', FUZZ_SEED,
    '--no-color',
  ];
  return new Promise((resolve, reject) => {
    let output = '';
    const proc = spawn(PYTHON, [SCHEMATHESIS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    proc.once('error', reject);
    proc.once('close', (code) => {
      const from = output.indexOf('=== FAILURES ===');
      const summary = (from >= 0 ? output.slice(from) : output.slice(-4000)).split('\n').map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join('\n');
      resolve({ code, output, summary, casesGenerated: Number(/Test cases:\s+(\d+) generated/.exec(output)?.[1] ?? 0) });
    });
  });
}

/** An API log's lines that mean a bug: an unhandled error, or an answer off the contract. */
export function apiLogErrors(logFile: string): Array<{ msg: string; url?: string; violation?: string; err?: { message?: string } }> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { level?: number | string; msg: string };
        return (entry.level === 50 || entry.level === 'error') && (entry.msg === 'unhandled API error' || entry.msg === 'response does not match the API contract') ? [entry] : [];
      } catch {
        return [];
      }
    });
}
