// What every benchmark does around its measurements: a log on stderr (stdout is the report),
// the stack and PostgreSQL stopped and the work directories removed at the end (kept with
// BENCH_KEEP=1), and an exit code that fails only on errors.
import { rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT } from '../../test/support/tools';
import type { Postgres } from '../../test/support/postgres';
import type { Stack } from '../../test/support/stack';

/**
 * The project's tools (restic 0.18, rclone, weed, temporal) first on PATH, for this process and
 * every one it starts, as jest.config.js does for the tests: each side of a bench runs the same binaries.
 */
export function projectToolsFirstOnPath(): void {
  process.env.PATH = [join(ROOT, '.tools', 'bin'), join(ROOT, '.tools', 'venv', 'bin'), process.env.PATH].join(delimiter);
}

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** A BENCH_* setting: an integer of at least `min`, or `fallback` when unset. */
export function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export const keepRequested = () => process.env.BENCH_KEEP === '1';

export async function tearDown(opts: { stack?: Stack; pg?: Postgres; work: string }): Promise<void> {
  const { stack, pg, work } = opts;
  await stack?.stop().catch((e: unknown) => log(`stopping the stack: ${(e as Error).message}`));
  await pg?.stop().catch((e: unknown) => log(`stopping PostgreSQL: ${(e as Error).message}`));
  if (keepRequested()) log(`kept ${work} and ${stack?.dir ?? ''}`);
  else {
    rmSync(work, { recursive: true, force: true });
    if (stack) rmSync(stack.dir, { recursive: true, force: true });
  }
}

/** Runs a benchmark's main and exits: 0 when it finished (whatever it measured), 1 on an error. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
