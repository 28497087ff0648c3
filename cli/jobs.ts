// `backstop jobs list|show|create|run` and `jobs retention-set|retention-preview`: what a
// backup is, and starting one. Schedules, drills, plugins and scripts of a job register their
// own `jobs …` commands (schedules.ts, drills.ts, plugins.ts).
import { type Command, Option } from 'commander';
import type { components } from '../contract/generated/api-schema';
import type { ApiJob } from '../core/api-client';
import { collect, confirm, covers, defined, followStartedRun, positiveInt, show, showTable, wholeNumber, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';
import { formatFields, formatTable, relativeTime, shortId } from './format';

type JobCreate = components['schemas']['JobCreate'];
type JobUpdate = components['schemas']['JobUpdate'];
type RetentionPolicy = components['schemas']['RetentionPolicy'];

export interface JobCreateOptions {
  agent: string;
  repository: number;
  path: string[];
  exclude?: string[];
  mode?: 'push' | 'pull';
  snapshotMode?: JobCreate['snapshotMode'];
  preScript?: string;
  postHook?: string;
}

export function jobRequest(name: string, o: JobCreateOptions): JobCreate {
  return defined({
    name,
    agent: o.agent,
    repositoryId: o.repository,
    paths: o.path,
    excludes: o.exclude,
    mode: o.mode,
    snapshotMode: o.snapshotMode,
    preScript: o.preScript,
    postHook: o.postHook,
  });
}

export interface JobEditOptions {
  name?: string;
  agent?: string;
  path?: string[];
  exclude?: string[];
  /** --no-excludes: false */
  excludes?: boolean;
  mode?: 'push' | 'pull';
  snapshotMode?: JobCreate['snapshotMode'];
  /** A command, or false for --no-pre-script (remove it). */
  preScript?: string | false;
  postHook?: string | false;
}

/** The PATCH the flags describe: lists given replace the job's; --no-… removes a script or hook. */
export function jobUpdateRequest(o: JobEditOptions): JobUpdate {
  if (o.exclude && o.excludes === false) throw new UsageError('--exclude sets the excludes, --no-excludes removes them: give one');
  const update: JobUpdate = defined({
    name: o.name,
    agent: o.agent,
    paths: o.path,
    excludes: o.excludes === false ? [] : o.exclude,
    mode: o.mode,
    snapshotMode: o.snapshotMode,
    preScript: o.preScript === false ? null : o.preScript,
    postHook: o.postHook === false ? null : o.postHook,
  });
  if (Object.keys(update).length === 0) throw new UsageError('say what to change (--name, --agent, --path, --exclude, --mode, --snapshot-mode, --pre-script, --post-hook, or their --no- forms)');
  return update;
}

export interface RetentionOptions {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  keepTag?: string[];
  none?: boolean;
}

/** The policy the flags describe; `--none` removes the job's policy (it then keeps everything). */
export function retentionPolicy(o: RetentionOptions): RetentionPolicy | null {
  const policy = defined({
    keepLast: o.keepLast,
    keepHourly: o.keepHourly,
    keepDaily: o.keepDaily,
    keepWeekly: o.keepWeekly,
    keepMonthly: o.keepMonthly,
    keepYearly: o.keepYearly,
    keepWithin: o.keepWithin,
    keepTags: o.keepTag,
  });
  if (o.none) {
    if (Object.keys(policy).length > 0) throw new UsageError('--none removes the policy; give it without --keep-* flags');
    return null;
  }
  if (Object.keys(policy).length === 0) throw new UsageError('say what to keep (--keep-last, --keep-daily, … --keep-within, --keep-tag) or --none');
  return policy;
}

const lastRun = (j: ApiJob) => j.health?.lastRunStatus ?? '';

export function jobLines(j: ApiJob, now: Date): string[] {
  const h = j.health;
  return formatFields([
    ['id', j.id],
    ['name', j.name],
    ['agent', j.agent],
    ['repository', j.repositoryId],
    ['mode', j.mode],
    ['snapshot mode', j.snapshotMode],
    ['paths', j.paths.join(' ')],
    ['excludes', j.excludes.join(' ')],
    ['pre-script', j.preScript],
    ['post-hook', j.postHook],
    ['retention', j.retention ? JSON.stringify(j.retention) : 'none (keeps every snapshot)'],
    ['schedule', j.schedule ? [...j.schedule.cron, ...j.schedule.intervals.map((i) => `every ${i.everySeconds}s`)].join(', ') + (j.schedule.paused ? ' (paused)' : '') : 'none'],
    ['last run', lastRun(j)],
    ['last success', h?.lastSuccessAt ? `${relativeTime(h.lastSuccessAt, now)} (${h.lastSuccessAt})` : null],
    ['last failure', h?.lastFailureAt ? `${relativeTime(h.lastFailureAt, now)} (${h.lastFailureAt})` : null],
    ['next run', h?.nextRunAt ? `${relativeTime(h.nextRunAt, now)} (${h.nextRunAt})` : null],
    ['stale', h ? String(h.stale) : null],
    ['drill stale', h ? String(h.drillStale) : null],
    ['created', `${relativeTime(j.createdAt, now)} (${j.createdAt})`],
  ]);
}

export function registerJobs(jobs: Command, ctx: CliContext): void {
  covers(
    jobs
      .command('list')
      .description('list jobs, with the health of their backups')
      .option('--stale', 'only jobs whose backups are stale (no success for too long)')
      .action(async (o: { stale?: boolean }) => {
        const answer = await ctx.api().request<{ items: ApiJob[] }>('GET', `/v1/jobs${o.stale ? '?stale=true' : ''}`);
        const now = ctx.now();
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (j) => j.id, right: true },
          { header: 'name', value: (j) => j.name },
          { header: 'agent', value: (j) => j.agent },
          { header: 'repo', value: (j) => j.repositoryId, right: true },
          { header: 'last run', value: lastRun },
          { header: 'last success', value: (j) => relativeTime(j.health?.lastSuccessAt, now) },
          { header: 'next', value: (j) => relativeTime(j.health?.nextRunAt, now) },
          { header: 'health', value: (j) => [j.health?.stale ? 'stale' : '', j.health?.drillStale ? 'drillStale' : ''].filter(Boolean).join(',') },
          { header: 'paths', value: (j) => j.paths.join(' ') },
        ]);
      }),
    'listJobs',
  );

  covers(
    jobs
      .command('show')
      .description('one job: its definition, schedule and health')
      .argument('<id>', 'job id', positiveInt)
      .option('--next-runs <n>', 'also list the next n scheduled fire times', positiveInt)
      .action(async (id: number, o: { nextRuns?: number }) => {
        const job = await ctx.api().getJob(id, o.nextRuns);
        show(ctx, job, (j) => [...jobLines(j, ctx.now()), ...(j.schedule?.nextRuns.length ? [`next runs     ${j.schedule.nextRuns.join(', ')}`] : [])]);
      }),
    'getJob',
  );

  covers(
    jobs
      .command('create')
      .description('define a backup job')
      .argument('<name>', 'job name')
      .requiredOption('--agent <name>', 'the agent whose machine is backed up')
      .requiredOption('--repository <id>', 'repository id', positiveInt)
      .requiredOption('--path <path>', 'a path to back up (repeat for more)', collect)
      .option('--exclude <pattern>', 'an exclude pattern (repeatable)', collect)
      .addOption(new Option('--mode <mode>', 'push: the engine runs on the agent; pull: on the server over FUSE').choices(['push', 'pull']))
      .addOption(new Option('--snapshot-mode <mode>', 'filesystem snapshot before the backup').choices(['auto', 'none', 'btrfs', 'lvm', 'zfs']))
      .option('--pre-script <command>', 'a shell command the server worker runs before the backup')
      .option('--post-hook <command>', 'a shell command the agent runs after the backup')
      .action(async (name: string, o: JobCreateOptions) => {
        const job = await ctx.api().createJob(jobRequest(name, o));
        show(ctx, job, (j) => [`job ${j.id} ${j.name}: ${j.paths.join(' ')} on ${j.agent} → repository ${j.repositoryId}`]);
      }),
    'createJob',
  );

  covers(
    jobs
      .command('edit')
      .description("change a job's definition; the next run uses it (its repository stays)")
      .argument('<id>', 'job id', positiveInt)
      .option('--name <name>', 'new name')
      .option('--agent <name>', 'back up this agent instead')
      .option('--path <path>', 'the paths to back up, replacing the current ones (repeat for more)', collect)
      .option('--exclude <pattern>', 'the exclude patterns, replacing the current ones (repeatable)', collect)
      .option('--no-excludes', 'remove every exclude pattern')
      .addOption(new Option('--mode <mode>', 'push or pull').choices(['push', 'pull']))
      .addOption(new Option('--snapshot-mode <mode>', 'filesystem snapshot before the backup').choices(['auto', 'none', 'btrfs', 'lvm', 'zfs']))
      .option('--pre-script <command>', 'set the pre-script')
      .option('--no-pre-script', 'remove the pre-script')
      .option('--post-hook <command>', 'set the post-hook')
      .option('--no-post-hook', 'remove the post-hook')
      .action(async (id: number, o: JobEditOptions) => {
        const job = await ctx.api().updateJob(id, jobUpdateRequest(o));
        show(ctx, job, (j) => jobLines(j, ctx.now()));
      }),
    'updateJob',
  );

  covers(
    jobs
      .command('delete')
      .description('delete a job and its schedules; its snapshots and runs stay (refused while a run of it is under way)')
      .argument('<id>', 'job id', positiveInt)
      .action(async (id: number) => {
        await ctx.api().deleteJob(id);
        confirm(ctx, `job ${id} deleted; its snapshots stay restorable (backstop snapshots list --job ${id})`);
      }),
    'deleteJob',
  );

  covers(
    jobs
      .command('run')
      .description('start a backup run of the job now')
      .argument('<id>', 'job id', positiveInt)
      .option('--wait', 'follow the run to its end (progress, log) and exit with its outcome')
      .option('--idempotency-key <key>', 'a key that makes a retried command start no second run')
      .action(async (id: number, o: { wait?: boolean; idempotencyKey?: string }) => {
        const accepted = await ctx.api().runJob(id, { idempotencyKey: o.idempotencyKey });
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'run' });
      }),
    'runJob',
  );

  const keep = (flag: string, what: string) => new Option(`--keep-${flag} <n>`, what).argParser(wholeNumber);
  covers(
    jobs
      .command('retention-set')
      .description("set the job's retention policy (what prune keeps), or remove it with --none")
      .argument('<id>', 'job id', positiveInt)
      .addOption(keep('last', 'the n most recent snapshots'))
      .addOption(keep('hourly', 'the newest snapshot of each of the last n hours'))
      .addOption(keep('daily', '… of each of the last n days'))
      .addOption(keep('weekly', '… of each of the last n weeks'))
      .addOption(keep('monthly', '… of each of the last n months'))
      .addOption(keep('yearly', '… of each of the last n years'))
      .option('--keep-within <span>', 'every snapshot newer than this, relative to the newest (30d, 1y2m)')
      .option('--keep-tag <tags>', 'every snapshot carrying all these comma-separated tags (repeatable)', collect)
      .option('--none', 'remove the policy: every snapshot is kept')
      .action(async (id: number, o: RetentionOptions) => {
        const job = await ctx.api().setJobRetention(id, retentionPolicy(o));
        show(ctx, job, (j) => [`job ${j.id} retention: ${j.retention ? JSON.stringify(j.retention) : 'none (keeps every snapshot)'}`]);
      }),
    'setJobRetention',
  );

  covers(
    jobs
      .command('retention-preview')
      .description("which snapshots the job's retention policy keeps and which it would remove")
      .argument('<id>', 'job id', positiveInt)
      .action(async (id: number) => {
        const preview = await ctx.api().previewRetention(id);
        const now = ctx.now();
        show(ctx, preview, (p) => {
          const rows = [
            ...p.keep.map((s) => ({ action: 'keep', id: s.snapshotId, time: s.time, host: s.hostname, why: s.reasons.join(', ') })),
            ...p.remove.map((s) => ({ action: 'remove', id: s.snapshotId, time: s.time, host: s.hostname, why: '' })),
          ].sort((a, b) => b.time.localeCompare(a.time));
          return [
            `policy: ${JSON.stringify(p.policy)}`,
            ...formatTable(rows, [
              { header: 'action', value: (r) => r.action },
              { header: 'snapshot', value: (r) => shortId(r.id) },
              { header: 'time', value: (r) => relativeTime(r.time, now) },
              { header: 'host', value: (r) => r.host },
              { header: 'why', value: (r) => r.why },
            ]),
          ];
        });
      }),
    'previewRetention',
  );
}
