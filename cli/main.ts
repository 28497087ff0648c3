// The `backstop` command line: process entry points (up, api, worker server, agent) and
// operator commands that talk to the REST API.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../core/config';
import { ApiClient, ApiError, type ApiRun, type ApiRunLogLine, type RunListFilter } from '../core/api-client';
import { RETENTION_USAGE, retentionPreview, runPrune } from './retention';
import { CHECK_USAGE, runCheck } from './check';
import { DRILL_USAGE, drillCommand } from './drills';
import { S3_SYNC_USAGE, runSync, setS3SyncTarget } from './s3-sync';
import { RESTORE_USAGE, decideRun, listSnapshotDir, restoreSnapshot } from './restore';
import { PLUGINS_USAGE, pluginCommand } from './plugins';
import { MOUNT_USAGE, snapshotMountCommand } from './snapshot-mount';
import { SCHEDULE_USAGE, jobSchedule, repositorySchedule } from './schedules';
import { AGENTS_USAGE, agentTokensCommand, agentsCommand } from './agents';
import { REPOSITORIES_USAGE, createJobCommand, repositoriesCommand } from './repositories';
import { NOTIFY_USAGE, notifyCommand } from './notify';
import type { BackstopConfig } from '../core/config';
import { flag, positiveInt } from './args';

const USAGE = `usage: backstop <command>

  up [--no-sample]        start the embedded stack (Temporal dev server, private PostgreSQL
                          catalog, API, server worker, local agent), supervised; backs up
                          and restores a sample
  api                     run the REST API
  worker server           run the server worker (all workflows, catalog activities)
  agent                   run an agent worker: enrolled (certificate in BACKSTOP_AGENT_HOME, mTLS)
                          or with BACKSTOP_AGENT_NAME and BACKSTOP_AGENT_TOKEN

  jobs list               list jobs
  jobs run <id> [--wait]  start a backup run of job <id>
  runs list [--job <id>] [--agent <name>] [--kind <kind>] [--status <status>]
            [--since <iso time>] [--until <iso time>] [--limit <n>] [--cursor <c>]
                          list runs, newest first (prints the cursor of the next page)
  runs show <id>          show one run, with live progress while it runs
  runs log <id> [--follow]
                          the run's log (hooks and engine, secrets redacted); --follow
                          tails it live until the run ends
  runs cancel <id> [--note <text>]
                          cancel a run (engine stopped, cleanup and post hooks run)
  snapshots list [--job <id>]
${REPOSITORIES_USAGE}
${RETENTION_USAGE}
${CHECK_USAGE}
${DRILL_USAGE}
${S3_SYNC_USAGE}
${RESTORE_USAGE}
${MOUNT_USAGE}
${SCHEDULE_USAGE}
${AGENTS_USAGE}
${PLUGINS_USAGE}
  admin rotate-master-key | rebuild-catalog | export <file> | import <file>
                          work on the catalog directly (DATABASE_URL or the embedded one):
                          \`backstop admin help\` says more
${NOTIFY_USAGE}

Operator commands use BACKSTOP_API_URL and BACKSTOP_TOKEN (default: data/admin.token).`;

function apiClient(): ApiClient {
  const config = loadConfig();
  const tokenFile = join(config.dataDir, 'admin.token');
  const token = config.cliToken ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) throw new Error('set BACKSTOP_TOKEN (the token printed by `backstop up`)');
  return new ApiClient(config.apiUrl, token);
}



function formatLogLine(l: ApiRunLogLine): string {
  return `${l.at} ${l.step}${l.attempt > 1 ? `#${l.attempt}` : ''} ${l.stream === 'stderr' ? '!' : ' '} ${l.line}`;
}

async function printRunLog(api: ApiClient, args: string[]): Promise<number> {
  const runId = args[0];
  if (!runId || runId.startsWith('--')) throw new Error('runs log needs a run id');
  if (args.includes('--follow')) {
    const status = await api.followRunLog(runId, (l) => console.log(formatLogLine(l)));
    console.log(`run ${status}`);
    return status === 'succeeded' || status === 'warning' ? 0 : 1;
  }
  for (let after = 0; ; ) {
    const page = await api.runLog(runId, { afterSeq: after, limit: 1000 });
    for (const l of page.items) console.log(formatLogLine(l));
    if (page.items.length === 0) return 0;
    after = page.nextAfterSeq;
  }
}

function printRun(run: ApiRun): void {
  console.log(JSON.stringify(run, null, 2));
}

/** `agent enroll` runs on the agent's machine: a process command, so it lives in the entry point. */
async function enrollCommand(config: BackstopConfig, args: string[]): Promise<number> {
  const { defaultAgentName, enroll } = await import('../workers/agent/identity/enroll');
  const server = flag(args, '--server') ?? config.enrollment.serverUrl;
  const token = flag(args, '--token') ?? config.enrollment.bootstrapToken;
  if (!server || !token) throw new Error('agent enroll needs --server <url> and --token <bootstrap token>');
  const identity = await enroll({ serverUrl: server, token, name: flag(args, '--name') ?? defaultAgentName(config.enrollment.hostname), replace: args.includes('--replace'), home: config.agentHome, caFingerprint: flag(args, '--ca-fingerprint') ?? config.enrollment.caFingerprint });
  console.log(`enrolled as agent ${identity.agentName}; key, certificate and CA in ${config.agentHome}`);
  if (!identity.mtlsUrl) console.log('note: the API has no mTLS listener (BACKSTOP_API_TLS_PORT); set BACKSTOP_API_TLS_URL before starting the agent');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (cmd === 'admin') {
    // Loaded only here: the catalog, engines and pg are not needed by the other commands.
    const { adminCommand } = await import('../workers/admin/admin');
    return adminCommand(loadConfig(), sub, rest);
  }
  switch (`${cmd ?? ''} ${sub ?? ''}`.trim()) {
    case 'up':
    case 'up --no-sample': {
      const { up } = await import('../workers/embedded/up');
      await up(loadConfig(), { sample: !argv.includes('--no-sample') });
      return -1; // keep running
    }
    case 'api': {
      const { runApi } = await import('../api/api-process');
      await runApi(loadConfig());
      return 0;
    }
    case 'worker server': {
      const { runServerWorker } = await import('../workers/server/server-worker');
      await runServerWorker(loadConfig());
      return 0;
    }
    case 'agent': {
      const { runAgentWorker } = await import('../workers/agent/agent-worker');
      return runAgentWorker(loadConfig());
    }
    case 'agent enroll':
      return enrollCommand(loadConfig(), rest);
    case 'agents list':
    case 'agents revoke':
      return agentsCommand(apiClient(), sub!, rest);
    case 'agent-tokens create':
    case 'agent-tokens list':
    case 'agent-tokens revoke':
      return agentTokensCommand(apiClient(), sub!, rest);
    case 'repos list':
    case 'repos create':
      return repositoriesCommand(apiClient(), sub!, rest, loadConfig().repositoryPassword);
    case 'jobs create':
      return createJobCommand(apiClient(), rest);
    case 'jobs list':
      console.table((await apiClient().listJobs()).map((j) => ({ id: j.id, name: j.name, agent: j.agent, repository: j.repositoryId, paths: j.paths.join(' ') })));
      return 0;
    case 'jobs run': {
      const api = apiClient();
      const accepted = await api.runJob(positiveInt(rest[0], 'job id'));
      console.log(`run ${accepted.runId} started (workflow ${accepted.workflowId})`);
      if (!rest.includes('--wait')) return 0;
      const run = await api.waitForRun(accepted.runId);
      printRun(run);
      return run.status === 'succeeded' || run.status === 'warning' ? 0 : 1;
    }
    case 'runs list': {
      const jobId = flag(rest, '--job');
      const limit = flag(rest, '--limit');
      const page = await apiClient().listRunsPage({
        jobId: jobId ? positiveInt(jobId, '--job') : undefined,
        agent: flag(rest, '--agent'),
        kind: flag(rest, '--kind') as RunListFilter['kind'],
        status: flag(rest, '--status') as RunListFilter['status'],
        since: flag(rest, '--since'),
        until: flag(rest, '--until'),
        cursor: flag(rest, '--cursor'),
        limit: limit ? positiveInt(limit, '--limit') : undefined,
      });
      console.table(page.items.map((r) => ({ id: r.id, kind: r.kind, job: r.jobId, agent: r.agentName ?? '', status: r.status, snapshot: r.snapshotId?.slice(0, 8) ?? '', started: r.startedAt, reason: r.failureReason ?? '' })));
      if (page.nextCursor) console.log(`more: --cursor ${page.nextCursor}`);
      return 0;
    }
    case 'jobs schedule-set':
    case 'jobs schedule-delete':
    case 'jobs pause':
    case 'jobs resume':
    case 'jobs trigger':
    case 'jobs backfill':
      return jobSchedule(apiClient(), sub!, rest);
    case 'repos schedule-set':
    case 'repos schedule-delete':
    case 'repos pause':
    case 'repos resume':
    case 'repos trigger':
      return repositorySchedule(apiClient(), sub!, rest);
    case 'runs log':
      return printRunLog(apiClient(), rest);
    case 'repos sync':
      return runSync(apiClient(), rest, printRun);
    case 'repos s3-sync-set':
      return setS3SyncTarget(apiClient(), rest, loadConfig().s3Keys);
    case 'repos prune':
      return runPrune(apiClient(), rest, printRun);
    case 'repos check':
      return runCheck(apiClient(), rest, printRun);
    case 'jobs drill':
    case 'jobs drill-show':
    case 'jobs drill-set':
    case 'jobs drill-pause':
    case 'jobs drill-resume':
      return drillCommand(apiClient(), sub!, rest);
    case 'jobs retention-preview':
      return retentionPreview(apiClient(), rest);
    case 'snapshots restore':
      return restoreSnapshot(apiClient(), rest, printRun);
    case 'snapshots mount':
    case 'snapshots mount-status':
    case 'snapshots unmount':
      return snapshotMountCommand(apiClient(), sub!, rest);
    case 'snapshots ls':
      return listSnapshotDir(apiClient(), rest);
    case 'runs approve':
      return decideRun(apiClient(), 'approve', rest);
    case 'runs reject':
      return decideRun(apiClient(), 'reject', rest);
    case 'runs cancel': {
      if (!rest[0] || rest[0].startsWith('--')) throw new Error('runs cancel needs a run id');
      const run = await apiClient().cancelRun(rest[0], flag(rest, '--note'));
      console.log(`run ${run.id}: ${run.status}, cancellation requested by ${run.cancelledBy ?? '?'}`);
      return 0;
    }
    case 'runs show':
      if (!rest[0]) throw new Error('runs show needs a run id');
      printRun(await apiClient().getRun(rest[0]));
      return 0;
    case 'snapshots list': {
      const jobId = flag(rest, '--job');
      const snaps = await apiClient().listSnapshots(jobId ? positiveInt(jobId, '--job') : undefined);
      console.table(snaps.map((s) => ({ id: s.id.slice(0, 8), job: s.jobId, time: s.time, host: s.hostname, paths: s.paths.join(' ') })));
      return 0;
    }
    default: {
      if (cmd === 'notify') {
        const notified = await notifyCommand(apiClient, sub, rest, process.env);
        if (notified !== null) return notified;
      }
      const plugin = await pluginCommand(apiClient, `${cmd ?? ''} ${sub ?? ''}`.trim(), rest, printRun);
      if (plugin !== null) return plugin;
      console.error(USAGE);
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      console.error(`backstop: ${err instanceof ApiError || err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
