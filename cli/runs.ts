// `backstop runs list|show|log|cancel|approve|reject`: every run of every kind (backup,
// restore, prune, sync, check, drill, plugin test, database restore).
import { type Command, Option } from 'commander';
import type { ApiRun, RunListFilter } from '../core/api-client';
import { covers, followRun, positiveInt, show, showTable, type CliContext } from './command-kit';
import { drillSummary } from './drills';
import { exitCodeForRun } from './exit-codes';
import { formatBytes, formatDuration, formatFields, relativeTime, shortId } from './format';
import { describeFigures, describeStep, progressFigures } from './progress';
import { formatLogLine } from './run-watch';

export const RUN_KINDS = ['backup', 'restore', 'prune', 's3-sync', 'plugin-test', 'db-restore', 'check', 'drill'] as const;
export const RUN_STATUSES = ['queued', 'awaiting-approval', 'running', 'succeeded', 'warning', 'failed', 'cancelled'] as const;

/** One run for people: what, where, how it went, what it is doing now; `details` as JSON. */
export function runLines(r: ApiRun, now: Date): string[] {
  const p = r.live?.progress ?? r.progress;
  const took = r.finishedAt ? formatDuration((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000) : null;
  const lines = formatFields([
    ['id', r.id],
    ['kind', r.kind],
    ['status', r.status],
    ['job', r.jobId],
    ['repository', r.repositoryId],
    ['agent', r.agentName],
    ['workflow', r.workflowId],
    ['started', `${relativeTime(r.startedAt, now)} (${r.startedAt})`],
    ['finished', r.finishedAt ? `${relativeTime(r.finishedAt, now)} (${r.finishedAt}), took ${took}` : null],
    ['step', r.live ? describeStep(r, now) : null],
    ['done', r.live ? r.live.stepsDone.join(' → ') : null],
    ['progress', p ? describeFigures(progressFigures(p)) : null],
    ['snapshot', r.snapshotId],
    ['files', r.stats ? `${r.stats.totalFilesProcessed} (${r.stats.filesNew} new, ${r.stats.filesChanged} changed)` : null],
    ['data', r.stats ? `${formatBytes(r.stats.totalBytesProcessed)} processed, ${formatBytes(r.stats.dataAdded)} added` : null],
    ['reason', r.failureReason],
    ['cancelled by', r.cancelledBy],
  ]);
  for (const w of r.warnings) lines.push(`warning   ${w}`);
  for (const n of r.notifications ?? []) lines.push(`notified  ${n.event} via ${n.channelName}: ${n.status}${n.lastError ? ` (${n.lastError})` : ''}`);
  if (r.details && Object.keys(r.details).length > 0) lines.push('details', ...JSON.stringify(r.details, null, 2).split('\n').map((l) => `  ${l}`));
  return lines;
}

interface RunsListOptions {
  job?: number;
  repository?: number;
  agent?: string;
  kind?: RunListFilter['kind'];
  status?: RunListFilter['status'];
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export function registerRuns(runs: Command, ctx: CliContext): void {
  covers(
    runs
      .command('list')
      .description('runs, newest first (prints the cursor of the next page)')
      .option('--job <id>', 'runs of one job', positiveInt)
      .option('--repository <id>', 'runs on one repository', positiveInt)
      .option('--agent <name>', 'runs on one agent')
      .addOption(new Option('--kind <kind>', 'one kind of run').choices(RUN_KINDS))
      .addOption(new Option('--status <status>', 'runs in one status').choices(RUN_STATUSES))
      .option('--since <time>', 'started at or after (ISO 8601)')
      .option('--until <time>', 'started before (ISO 8601)')
      .option('--limit <n>', 'at most n runs', positiveInt)
      .option('--cursor <cursor>', 'the next page, as printed by the previous one')
      .action(async (o: RunsListOptions) => {
        const page = await ctx.api().listRunsPage({ jobId: o.job, repositoryId: o.repository, agent: o.agent, kind: o.kind, status: o.status, since: o.since, until: o.until, cursor: o.cursor, limit: o.limit });
        const now = ctx.now();
        showTable(ctx, page, page.items, [
          { header: 'id', value: (r) => r.id },
          { header: 'kind', value: (r) => r.kind },
          { header: 'job', value: (r) => r.jobId, right: true },
          { header: 'agent', value: (r) => r.agentName },
          { header: 'status', value: (r) => r.status },
          { header: 'snapshot', value: (r) => shortId(r.snapshotId) },
          { header: 'started', value: (r) => relativeTime(r.startedAt, now) },
          { header: 'took', value: (r) => (r.finishedAt ? formatDuration((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000) : '') },
          { header: 'reason', value: (r) => r.failureReason },
        ]);
        if (!ctx.json() && page.nextCursor) ctx.stdout.write(`more: --cursor ${page.nextCursor}\n`);
      }),
    'listRuns',
  );

  covers(
    runs
      .command('show')
      .description('one run, with its live step and progress while it runs')
      .argument('<id>', 'run id')
      .action(async (id: string) => {
        show(ctx, await ctx.api().getRun(id), (r) => runLines(r, ctx.now()));
      }),
    'getRun',
  );

  covers(
    runs
      .command('watch')
      .description('follow a run that is already going (progress, log) to its end and exit with its outcome, as --wait does')
      .argument('<id>', 'run id')
      .action(async (id: string) => {
        // The kind decides the summary: a drill's is its evidence.
        const first = await ctx.api().getRun(id);
        await followRun(ctx, id, first.kind === 'drill' ? drillSummary : undefined);
      }),
    'getRun',
    'getRunLog',
  );

  covers(
    runs
      .command('log')
      .description("the run's log (hooks and engine, secrets redacted)")
      .argument('<id>', 'run id')
      .option('--follow', 'tail it live until the run ends; exits with the run\'s outcome')
      .option('--after <seq>', 'only lines after this sequence number', positiveInt)
      .action(async (id: string, o: { follow?: boolean; after?: number }) => {
        const api = ctx.api();
        const emit = (l: Parameters<typeof formatLogLine>[0]) => ctx.stdout.write(ctx.json() ? `${JSON.stringify(l)}\n` : `${formatLogLine(l)}\n`);
        if (o.follow) {
          const status = await api.followRunLog(id, emit, { afterSeq: o.after });
          if (!ctx.json()) ctx.stdout.write(`run ${status}\n`);
          ctx.setExitCode(exitCodeForRun(status));
          return;
        }
        for (let after = o.after ?? 0; ; ) {
          const page = await api.runLog(id, { afterSeq: after, limit: 1000 });
          for (const l of page.items) emit(l);
          if (page.items.length === 0) return;
          after = page.nextAfterSeq;
        }
      }),
    'getRunLog',
    'streamRunLog',
  );

  covers(
    runs
      .command('cancel')
      .description('cancel a run: the engine stops, cleanup and post hooks still run')
      .argument('<id>', 'run id')
      .option('--note <text>', 'why, kept with the run')
      .action(async (id: string, o: { note?: string }) => {
        show(ctx, await ctx.api().cancelRun(id, o.note), (r) => [`run ${r.id}: ${r.status}, cancellation requested by ${r.cancelledBy ?? '?'}`]);
      }),
    'cancelRun',
  );

  for (const decision of ['approve', 'reject'] as const) {
    covers(
      runs
        .command(decision)
        .description(decision === 'approve' ? 'let a restore waiting for approval go ahead' : 'reject a restore waiting for approval')
        .argument('<id>', 'run id')
        .option('--note <text>', 'why, kept with the decision')
        .action(async (id: string, o: { note?: string }) => {
          const api = ctx.api();
          const answer = decision === 'approve' ? await api.approveRun(id, o.note) : await api.rejectRun(id, o.note);
          show(ctx, answer, (a) => [`run ${a.runId} ${a.decision} by ${a.by}`]);
        }),
      decision === 'approve' ? 'approveRun' : 'rejectRun',
    );
  }
}

