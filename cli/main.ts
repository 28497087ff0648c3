// The `backstop` command line. The command tree is in program.ts; this file runs it and
// turns what happened into an exit code (exit-codes.ts lists them).
import { CommanderError } from 'commander';
import { buildProgram, type BuiltProgram, type ProgramIo } from './program';
import type { ProcessLoaders } from './processes';
import { EXIT, UsageError, describeError, exitCodeForError } from './exit-codes';

export interface MainResult {
  code: number;
  /** A process command (up) is still running: do not exit. */
  keepRunning: boolean;
}

/**
 * The process commands' code, imported only when one runs: `backstop jobs list` loads none of
 * Temporal, pg or the engines. Only this module may reach into api/ and workers/.
 */
export const PROCESSES: ProcessLoaders = {
  up: async (config, opts) => (await import('../workers/embedded/up')).up(config, opts),
  api: async (config) => (await import('../api/api-process')).runApi(config),
  serverWorker: async (config) => (await import('../workers/server/server-worker')).runServerWorker(config),
  agentWorker: async (config) => (await import('../workers/agent/agent-worker')).runAgentWorker(config),
  enroll: async (req, hostnameSetting) => {
    const { defaultAgentName, enroll } = await import('../workers/agent/identity/enroll');
    return enroll({ ...req, name: req.name || defaultAgentName(hostnameSetting) });
  },
  admin: async (config, sub, args) => (await import('../workers/admin/admin')).adminCommand(config, sub, args),
};

/** The full command tree, process commands included. */
export const fullProgram = (io: ProgramIo): BuiltProgram => buildProgram(io, PROCESSES);

/** Help and version requests end in a CommanderError too; they are not failures. */
const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version']);

export async function run(argv: string[], io: ProgramIo): Promise<MainResult> {
  const built = fullProgram(io);
  if (argv.length === 0) {
    built.program.outputHelp();
    return { code: EXIT.ok, keepRunning: false };
  }
  try {
    await built.program.parseAsync(argv, { from: 'user' });
    return { code: built.exitCode(), keepRunning: built.keepRunning() };
  } catch (err) {
    if (err instanceof CommanderError) return { code: HELP_CODES.has(err.code) ? EXIT.ok : EXIT.usage, keepRunning: false };
    let apiUrl: string | undefined;
    try {
      apiUrl = built.connection().apiUrl;
    } catch {
      /* the connection itself was the problem; the error says so */
    }
    io.stderr(`backstop: ${describeError(err, apiUrl)}\n`);
    // A usage error a command found itself (commander printed the usage for its own): point at the help.
    if (err instanceof UsageError) io.stderr(`(backstop ${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')} --help shows the usage)\n`);
    return { code: exitCodeForError(err), keepRunning: false };
  }
}

/** The process's own terminal and environment. */
export function processIo(): ProgramIo {
  return {
    env: process.env,
    stdout: {
      write: (s) => void process.stdout.write(s),
      isTTY: Boolean(process.stdout.isTTY),
      get columns() {
        return process.stdout.columns || 80;
      },
    },
    stderr: (s) => void process.stderr.write(s),
    // While a run is followed, Ctrl-C stops the following (cleanly), not the process mid-line.
    interrupts: () => {
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      return { signal: controller.signal, release: () => void process.off('SIGINT', onSigint) };
    },
  };
}

if (require.main === module) {
  run(process.argv.slice(2), processIo()).then(
    ({ code, keepRunning }) => {
      // Exit now, whatever handles are left (a server that shut down, an SSE stream, pools);
      // stdout to a pipe, a file or a terminal is written synchronously on Linux, so nothing is lost.
      if (!keepRunning) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`backstop: ${describeError(err)}\n`);
      process.exit(exitCodeForError(err));
    },
  );
}
