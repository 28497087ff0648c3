// The process commands: `up` (the embedded stack), `api`, `worker server`, `agent` (and
// `agent enroll` on an agent's machine) and `admin …` (the catalog, directly). Their code is
// handed in by cli/main.ts, the one CLI module allowed to start processes (the lint walls):
// the operator commands here load none of Temporal, pg or the engines.
import type { Command } from 'commander';
import type { BackstopConfig } from '../core/config';
import { covers, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';

export interface EnrollRequest {
  serverUrl: string;
  token: string;
  name: string;
  replace: boolean;
  home: string;
  caFingerprint?: string;
}

/** What each process command runs, loaded only when it runs. */
export interface ProcessLoaders {
  up(config: BackstopConfig, opts: { sample: boolean }): Promise<void>;
  api(config: BackstopConfig): Promise<void>;
  serverWorker(config: BackstopConfig): Promise<void>;
  agentWorker(config: BackstopConfig): Promise<number>;
  enroll(req: EnrollRequest, hostnameSetting: string | undefined): Promise<{ agentName: string; mtlsUrl: string | null }>;
  admin(config: BackstopConfig, sub: string | undefined, args: string[]): Promise<number>;
}

export interface ProcessHooks {
  /** The command started long-running work (the supervised stack): main must not exit when it returns. */
  keepRunning(): void;
}

export function registerProcesses(program: Command, ctx: CliContext, hooks: ProcessHooks, load: ProcessLoaders): void {
  program
    .command('up')
    .description('start the embedded stack (Temporal dev server, private PostgreSQL catalog, API, server worker, local agent), supervised; backs up and restores a sample')
    .option('--no-sample', 'skip the sample backup and restore')
    .action(async (o: { sample: boolean }) => {
      await load.up(ctx.config(), { sample: o.sample });
      hooks.keepRunning();
    });
  program
    .command('api')
    .description('run the REST API')
    .action(async () => {
      await load.api(ctx.config());
    });
  const worker = program.command('worker').description('run a worker process');
  worker
    .command('server')
    .description('run the server worker (all workflows, catalog activities)')
    .action(async () => {
      await load.serverWorker(ctx.config());
    });
  const agent = program
    .command('agent')
    .description('run an agent worker: enrolled (certificate in BACKSTOP_AGENT_HOME, mTLS) or with BACKSTOP_AGENT_NAME and BACKSTOP_AGENT_TOKEN')
    .action(async () => {
      ctx.setExitCode(await load.agentWorker(ctx.config()));
    });
  covers(
    agent
      .command('enroll')
      .description('on the agent machine: make a key and CSR, get a certificate, store them in BACKSTOP_AGENT_HOME (default /etc/backstop-agent)')
      .option('--server <url>', "the API's URL (or BACKSTOP_INIT_SERVER)")
      .option('--token <bootstrap token>', 'a bootstrap token from `backstop agent-tokens create` (or BACKSTOP_INIT_TOKEN)')
      .option('--name <name>', 'the agent name (default: the host name)')
      .option('--replace', 'take over the name of an agent enrolled before (a reinstalled machine)')
      .option('--ca-fingerprint <sha256>', "pin the server CA's fingerprint")
      .action(async (o: { server?: string; token?: string; name?: string; replace?: boolean; caFingerprint?: string }, cmd: Command) => {
        const config = ctx.config();
        // `--token` is also the global API-token flag, which commander gives the program; here
        // (no API token is used: the bootstrap token is the credential) it is the bootstrap token.
        const token = o.token ?? cmd.optsWithGlobals<{ token?: string }>().token ?? config.enrollment.bootstrapToken;
        const server = o.server ?? config.enrollment.serverUrl;
        if (!server || !token) throw new UsageError('agent enroll needs --server <url> and --token <bootstrap token>');
        const identity = await load.enroll(
          { serverUrl: server, token, name: o.name ?? '', replace: Boolean(o.replace), home: config.agentHome, caFingerprint: o.caFingerprint ?? config.enrollment.caFingerprint },
          config.enrollment.hostname,
        );
        ctx.stdout.write(`enrolled as agent ${identity.agentName}; key, certificate and CA in ${config.agentHome}\n`);
        if (!identity.mtlsUrl) ctx.stdout.write('note: the API has no mTLS listener (BACKSTOP_API_TLS_PORT); set BACKSTOP_API_TLS_URL before starting the agent\n');
      }),
    'enrollAgent',
  );
  program
    .command('admin')
    .description('work on the catalog directly (DATABASE_URL or the embedded one): rotate-master-key | rebuild-catalog | export <file> | import <file>; `backstop admin help` says more')
    .argument('[command]', 'rotate-master-key, rebuild-catalog, export, import or help')
    .argument('[args...]', "the admin command's arguments")
    .action(async (sub: string | undefined, args: string[]) => {
      ctx.setExitCode(await load.admin(ctx.config(), sub, args));
    });
}
