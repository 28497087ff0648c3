// What every command module shares: the context a command runs in (the API client, the
// output, `--json`), the record of which API operations a command performs (the spec
// coverage test reads it), and option parsers that turn bad values into usage errors.
import { type Command, InvalidArgumentError } from 'commander';
import type { ApiClient, ApiRun } from '../core/api-client';
import type { BackstopConfig } from '../core/config';
import type { operations } from '../contract/generated/api-schema';
import { UsageError, exitCodeForRun } from './exit-codes';
import { formatTable, type Column } from './format';
import { runSummary } from './progress';
import { watchRun, type Terminal } from './run-watch';

export type OperationId = keyof operations;

export interface CliContext {
  /** The client for the resolved connection; built on first use, so `--help` needs no token. */
  api(): ApiClient;
  /** `--json`: print the API's JSON as it is, and nothing else on stdout. */
  json(): boolean;
  stdout: Terminal;
  /** For `--secret FIELD=ENVVAR`: variables the operator names. */
  env: NodeJS.ProcessEnv;
  /** The settings core/config.ts reads from the environment (repository password, S3 keys …). */
  config(): BackstopConfig;
  now(): Date;
  readFile(path: string): string;
  /** The command's exit code, when not 0 (a waited-for run that failed, a check that did not pass). */
  setExitCode(code: number): void;
  /** Aborts on Ctrl-C while `--wait` follows a run; call the returned function when done. */
  interrupts(): { signal: AbortSignal; release(): void };
}

const OPERATIONS = new WeakMap<Command, OperationId[]>();

/** Records that `cmd` performs these API operations (the spec coverage test walks them). */
export function covers<T extends Command>(cmd: T, ...ids: OperationId[]): T {
  OPERATIONS.set(cmd, [...(OPERATIONS.get(cmd) ?? []), ...ids]);
  return cmd;
}

export const operationsOf = (cmd: Command): OperationId[] => OPERATIONS.get(cmd) ?? [];

// Option and argument parsers: commander calls them with the raw text and reports what they
// throw as a usage error with the command's usage.

export function positiveInt(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('must be a positive integer.');
  return Number(value);
}

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

/** A repeatable option's values, in order (`--path a --path b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function jsonObject(value: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError('must be a JSON object.');
  return v as Record<string, unknown>;
}

/** `1,2,3` → [1, 2, 3]; an empty value is an empty list (clears the list). */
export function idList(value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((v) => positiveInt(v.trim()));
}

/** `FIELD=ENVVAR` pairs resolved against the environment: secrets never sit in argv. */
export function secretsFromEnv(pairs: readonly string[] | undefined, env: Record<string, string | undefined>, field = /^[A-Za-z_][A-Za-z0-9_.-]*$/): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const i = pair.indexOf('=');
    const name = pair.slice(0, i);
    const variable = pair.slice(i + 1);
    if (i <= 0 || !field.test(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new UsageError(`--secret takes FIELD=ENVVAR, got "${pair}"`);
    const value = env[variable];
    if (value === undefined) throw new UsageError(`--secret ${name}: environment variable ${variable} is not set`);
    out[name] = value;
  }
  return out;
}

/** Drops undefined fields, so a request carries only what the flags said (the API fills defaults). */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// Output.

export function printLines(ctx: CliContext, lines: readonly string[]): void {
  for (const l of lines) ctx.stdout.write(`${l}\n`);
}

/** `value` as JSON with `--json`, else the lines `human` makes of it. */
export function show<T>(ctx: CliContext, value: T, human: (v: T) => readonly string[]): void {
  if (ctx.json()) ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else printLines(ctx, human(value));
}

/** A list: the API's `{ items }` answer with `--json`, else an aligned table of `rows`. */
export function showTable<R>(ctx: CliContext, answer: unknown, rows: readonly R[], columns: readonly Column<R>[]): void {
  show(ctx, answer, () => formatTable(rows, columns));
}

/**
 * After a command started a run: says so, and with `wait` follows it to its end (progress and
 * log lines on stdout, the outcome summed up) and sets the exit code from how it ended.
 * With `--json`, prints the accepted answer, or with `wait` the finished run.
 */
export async function followStartedRun(
  ctx: CliContext,
  accepted: { runId: string; workflowId: string },
  opts: { wait?: boolean; label: string; summary?: (run: ApiRun) => readonly string[] },
): Promise<ApiRun | null> {
  if (!opts.wait) {
    show(ctx, accepted, (a) => [`${opts.label} ${a.runId} started (workflow ${a.workflowId})`]);
    return null;
  }
  if (!ctx.json()) ctx.stdout.write(`${opts.label} ${accepted.runId} started (workflow ${accepted.workflowId})\n`);
  return followRun(ctx, accepted.runId, opts.summary);
}

/** Follows a run (started now or earlier) to its end, sums it up and sets the exit code from how it ended. */
export async function followRun(ctx: CliContext, runId: string, summary: (run: ApiRun) => readonly string[] = runSummary): Promise<ApiRun> {
  const silent: Terminal = { write: () => {}, isTTY: false, columns: 80 };
  const interrupt = ctx.interrupts();
  const run = await watchRun(ctx.api(), runId, ctx.json() ? silent : ctx.stdout, { signal: interrupt.signal }).finally(() => interrupt.release());
  show(ctx, run, summary);
  ctx.setExitCode(exitCodeForRun(run.status));
  return run;
}

/** After an operation the API answers with no body (204): a line for people, nothing for `--json`. */
export function confirm(ctx: CliContext, line: string): void {
  if (!ctx.json()) ctx.stdout.write(`${line}\n`);
}
