// The Temporal CLI as an operator runs it against the production cluster (the commands of
// docs/runbooks/upgrade.md): the project's `temporal` binary, pointed at the topology's
// frontend with the mTLS client certificate through the CLI's own environment variables.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolPath } from '../../support/tools';
import type { TemporalServer } from './temporal-server';

const run = promisify(execFile);

/** Runs `temporal <args>`; resolves with its standard output, rejects with its error output. */
export async function temporalCli(temporal: TemporalServer, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(toolPath('temporal'), args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...temporal.cliEnv } });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`temporal ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** `temporal … --output json`, parsed. */
export async function temporalCliJson<T>(temporal: TemporalServer, args: string[]): Promise<T> {
  return JSON.parse(await temporalCli(temporal, [...args, '--output', 'json'])) as T;
}
