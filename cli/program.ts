// The `backstop` command tree: global options, then one group per area of the API (the
// same grouping as the OpenAPI spec's paths), each filled by its module. main.ts runs it;
// the spec coverage and completion tests walk it.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../core/api-client';
import { loadConfig } from '../core/config';
import { registerAgents } from './agents';
import { covers, show, type CliContext } from './command-kit';
import { bashCompletion, commandTree, zshCompletion } from './completion';
import { configFilePath, expandHome, readConfigFile, resolveConnection, type Connection } from './connection';
import { UsageError } from './exit-codes';
import { formatFields } from './format';
import { registerDrills } from './drills';
import { registerJobs } from './jobs';
import { registerNotify } from './notify';
import { registerJobExtensions, registerPlugins, registerScripts } from './plugins';
import { registerProcesses, type ProcessHooks, type ProcessLoaders } from './processes';
import { registerRepositories } from './repositories';
import { registerRestore } from './restore';
import { registerGuestJobCommands, registerGuestRestore } from './guest';
import { registerContainerJobCommands, registerContainerRestore } from './container';
import { registerRuns } from './runs';
import { registerJobSchedules, registerRepositorySchedules } from './schedules';
import { registerS3Sync } from './s3-sync';
import { registerSnapshotMount } from './snapshot-mount';
import { registerGuestFileMount } from './guest-file-mount';
import { registerGuestExport } from './guest-nbd-export';
import { registerSnapshots } from './snapshots';
import type { Terminal } from './run-watch';

export interface GlobalOptions {
  apiUrl?: string;
  token?: string;
  profile?: string;
  json?: boolean;
}

export interface ProgramIo {
  env: NodeJS.ProcessEnv;
  stdout: Terminal;
  stderr: (text: string) => void;
  now?: () => Date;
  readFile?: (path: string) => string;
  /** Ctrl-C as an abort signal while a command follows a run (cli/main.ts: SIGINT); none in tests. */
  interrupts?: () => { signal: AbortSignal; release(): void };
}

export interface BuiltProgram {
  program: Command;
  ctx: CliContext;
  /** The exit code commands set (0 unless one did). */
  exitCode(): number;
  keepRunning(): boolean;
  /** The connection the command line resolves to (for messages about an unreachable API). */
  connection(): Connection;
}

/** The connection from the global flags, the environment, the config file and the embedded defaults. */
export function connectionFor(opts: GlobalOptions, env: NodeJS.ProcessEnv, readFile: (p: string) => string): Connection {
  const filePath = configFilePath(env);
  const config = loadConfig(env);
  const tokenFile = join(config.dataDir, 'admin.token');
  return resolveConnection({
    flags: { apiUrl: opts.apiUrl, token: opts.token, profile: opts.profile ?? config.cliProfile },
    environment: { apiUrl: config.cliApiUrl, token: config.cliToken },
    file: readConfigFile(filePath),
    filePath,
    // Without BACKSTOP_API_URL, config.apiUrl is the embedded stack's (BACKSTOP_API_PORT).
    defaults: { apiUrl: config.apiUrl, token: existsSync(tokenFile) ? readFile(tokenFile) : undefined },
    readTokenFile: (p) => readFile(expandHome(p)),
  });
}

/** The whole tree; with `processes`, also the process commands (cli/main.ts hands them in). */
export function buildProgram(io: ProgramIo, processes?: ProcessLoaders): BuiltProgram {
  let exitCode = 0;
  let keep = false;
  let client: ApiClient | undefined;
  const readFile = io.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const program = new Command('backstop');
  const globals = () => program.opts<GlobalOptions>();
  const connection = () => connectionFor(globals(), io.env, readFile);
  const ctx: CliContext = {
    api() {
      if (client) return client;
      const c = connection();
      if (!c.token) throw new UsageError('no API token: pass --token, set BACKSTOP_TOKEN, add token= to a profile in the config file, or run where `backstop up` wrote data/admin.token');
      return (client = new ApiClient(c.apiUrl, c.token));
    },
    json: () => Boolean(globals().json),
    stdout: io.stdout,
    env: io.env,
    config: () => loadConfig(io.env),
    now: io.now ?? (() => new Date()),
    readFile,
    setExitCode: (code) => {
      exitCode = code;
    },
    interrupts: io.interrupts ?? (() => ({ signal: new AbortController().signal, release: () => {} })),
  };
  const hooks: ProcessHooks = { keepRunning: () => (keep = true) };

  program
    .description('Backstop: backups as durable Temporal workflows. Operator commands talk to the REST API; process commands run the parts.')
    .option('--api-url <url>', 'the API (default: BACKSTOP_API_URL, the profile, or the embedded stack)')
    .option('--token <token>', 'the API bearer token (default: BACKSTOP_TOKEN, the profile, or data/admin.token)')
    .option('--profile <name>', 'a [profile] of the config file ($XDG_CONFIG_HOME/backstop/config); default BACKSTOP_PROFILE, else [default]')
    .option('--json', "print the API's JSON as it is, for scripts")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: io.stderr, outputError: (s, write) => write(s) })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError(true)
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok; 1 a waited-for run failed or was cancelled; 2 usage error; 3 a waited-for
run ended with warnings; 4 the API is unreachable; 5 the API answered with an error.`,
    );

  // Groups, in the order of the API's areas.
  const repos = program.command('repos').alias('repositories').description('repositories: create, list, show; check, prune and S3-sync runs; their schedules');
  const jobs = program.command('jobs').description('backup jobs: create, list, show, run; schedules, retention, drills, plugins and scripts');
  const runs = program.command('runs').description('runs of every kind: list, show, log, cancel, approve or reject a restore');
  const snapshots = program.command('snapshots').description('snapshots: list, browse, read a file, restore, mount');
  const agents = program.command('agents').description('agents: list, revoke');
  const agentTokens = program.command('agent-tokens').description('bootstrap tokens to enroll agents with');
  const plugins = program.command('plugins').description("an agent's plugin configurations (database dumps …)");
  const scripts = program.command('scripts').description('the server-side script library');
  const notify = program.command('notify').description('notification channels and rules');

  registerRepositories(repos, ctx);
  registerS3Sync(repos, ctx);
  registerRepositorySchedules(repos, ctx);
  registerJobs(jobs, ctx);
  registerGuestJobCommands(jobs, ctx);
  registerContainerJobCommands(jobs, ctx);
  registerJobSchedules(jobs, ctx);
  registerDrills(jobs, ctx);
  registerRuns(runs, ctx);
  registerSnapshots(snapshots, ctx);
  registerRestore(snapshots, ctx);
  registerGuestRestore(snapshots, ctx);
  registerGuestExport(snapshots, ctx);
  registerContainerRestore(snapshots, ctx);
  registerSnapshotMount(snapshots, ctx);
  registerGuestFileMount(snapshots, ctx);
  registerAgents(agents, agentTokens, ctx);
  registerPlugins(plugins, ctx);
  registerScripts(scripts, ctx);
  registerJobExtensions(jobs, snapshots, ctx);
  registerNotify(notify, ctx);

  covers(
    program
      .command('health')
      .description("the API's health and version")
      .action(async () => show(ctx, await ctx.api().health(), (h) => [`${connection().apiUrl}: ${h.status}, version ${h.version}`])),
    'getHealth',
  );
  program
    .command('config')
    .description('which API and token the CLI would use, and where each came from')
    .action(() => {
      const c = connection();
      const view = { apiUrl: c.apiUrl, apiUrlFrom: c.from.apiUrl, token: c.token ? `${c.token.slice(0, 4)}…` : null, tokenFrom: c.from.token, profile: c.profile, configFile: configFilePath(io.env) };
      show(ctx, view, (v) => formatFields([['api url', `${v.apiUrl} (from ${v.apiUrlFrom})`], ['token', `${v.token ?? 'none'} (from ${v.tokenFrom})`], ['profile', v.profile ?? 'none'], ['config file', v.configFile]]));
    });
  if (processes) registerProcesses(program, ctx, hooks, processes);
  program
    .command('completion')
    .description('print a shell completion script: source <(backstop completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError('completion is for bash or zsh');
      const tree = commandTree(program);
      io.stdout.write(shell === 'bash' ? bashCompletion(tree) : zshCompletion(tree));
    });

  // Every command: its own errors become usage errors (exit 2) with its usage, not exits.
  const harden = (cmd: Command) => {
    cmd.exitOverride().showHelpAfterError(true).configureOutput(program.configureOutput());
    cmd.commands.forEach(harden);
  };
  program.commands.forEach(harden);

  return { program, ctx, exitCode: () => exitCode, keepRunning: () => keep, connection };
}
