import { checkAgentHasEngine, checkJobForEngine } from '../../contract/engine-capabilities';
import { Workflows } from '../../contract/workflows';
import type { Job } from '../../contract/model';
import { ConflictError, InputError, NotFoundError } from '../../contract/errors';
import { SERVER_TASK_QUEUE, ScheduleKind, WorkflowKind, guestJobCleanupWorkflowId, scheduleIdFor, workflowIdFor } from '../../contract/names';
import { allJobsWithHealth, withHealth } from '../job-health-view';
import { normalizeSchedule } from '../../core/schedule';
import { DEFAULT_NEXT_RUNS, jobScheduleView, writeSchedule } from './schedules';
import { idempotencyOf, startRun } from '../start-run';
import { handler } from '../context';
import { FIRE_TIMES_FOR_HEALTH } from '../job-schedule-info';
import { checkRetentionPolicy } from '../../contract/retention';
import { checkJobModePaths, checkJobModePlugins } from '../job-mode';
import { checkGuestJobUpdate, checkJobSource, JobKind } from '../../contract/guest';
import { checkContainerJobUpdate } from '../../contract/container';
import { removeSchedule } from '../schedules';
import { writeDrill } from './drills';

/** The API's view of a job names its agent as `agent`. */
export function jobView(job: Job) {
  const { agentName, ...rest } = job;
  return { ...rest, agent: agentName };
}

/** How many of a job's latest backup runs GET shows (the console's strip). */
const RECENT_RUNS = 30;

export const listJobs = handler('listJobs', async (ctx, { query }) => {
  const all = await allJobsWithHealth(ctx);
  const recent = await ctx.catalog.jobs.recentRuns(all.map(({ job }) => job.id), RECENT_RUNS);
  const items = all.map(({ job, health }) => ({ ...jobView(job), health, recentRuns: recent.get(job.id) ?? [] }));
  const stale = query.stale;
  return { status: 200, body: { items: stale === undefined ? items : items.filter((j) => j.health.stale === stale) } };
});

export const getJob = handler('getJob', async (ctx, { params, query }) => {
  const job = await ctx.catalog.jobs.get(params.id);
  const nextRuns = query.nextRuns ?? DEFAULT_NEXT_RUNS;
  // One describe for both the schedule shown and the health derived from it.
  const view = await jobScheduleView(ctx, job.id, Math.max(nextRuns, FIRE_TIMES_FOR_HEALTH));
  const [{ health }] = await withHealth(ctx, [job], new Map(view ? [[job.id, view]] : []));
  const recentRuns = (await ctx.catalog.jobs.recentRuns([job.id], RECENT_RUNS)).get(job.id) ?? [];
  return { status: 200, body: { ...jobView(job), health, recentRuns, schedule: view && { ...view, nextRuns: view.nextRuns.slice(0, nextRuns) } } };
});

export const createJob = handler('createJob', async (ctx, { body: b }) => {
  const retention = b.retention;
  if (retention) checkRetentionPolicy(retention);
  checkJobSource(b);
  const kind = b.kind ?? JobKind.files;
  const mode = b.mode ?? 'push';
  const paths = b.paths ?? [];
  checkJobModePaths(mode, paths);
  const scheduleDef = b.schedule;
  const schedule = scheduleDef ? normalizeSchedule(scheduleDef) : null;
  if (b.drill?.schedule) normalizeSchedule(b.drill.schedule);
  const id = await ctx.catalog.transaction(async (tx) => {
    const agent = await tx.agents.findByName(b.agent);
    if (!agent) throw new InputError(`unknown agent "${b.agent}": agents register themselves when they start`);
    // Inside the transaction use its client only: what it reads must be what it writes against.
    const repository = await tx.repositories.get(b.repositoryId).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new InputError(`unknown repository ${b.repositoryId}`) : e;
    });
    checkJobForEngine(repository.engine, { mode, retention });
    // A guest disk comes back as a tar stream of its segments (`restic dump --archive tar`, `borg export-tar`): proxmox-backup-client has none.
    if (kind === JobKind.guest && repository.engine === 'pbs') {
      throw new InputError(`repositoryId: guest jobs store to restic or borg repositories; repository ${repository.id} is ${repository.engine}`, { errors: [{ path: '/repositoryId', message: 'guest jobs store to restic or borg repositories' }] });
    }
    // A container's root filesystem comes back through restic's `<snapshot>:<path>` restore and its dump (container-activities.ts): restic only.
    if (kind === JobKind.container && repository.engine !== 'restic') {
      throw new InputError(`repositoryId: container jobs store to restic repositories only; repository ${repository.id} is ${repository.engine}`, { errors: [{ path: '/repositoryId', message: 'container jobs store to restic repositories only' }] });
    }
    checkAgentHasEngine(repository.engine, mode, agent);
    const jobId = await tx.jobs.insert({
      name: b.name,
      agentId: agent.id,
      repositoryId: b.repositoryId,
      kind,
      guest: b.guest ?? null,
      container: b.container ?? null,
      paths,
      excludes: b.excludes ?? [],
      snapshotMode: b.snapshotMode ?? 'none',
      mode,
      preScript: b.preScript ?? null,
      postHook: b.postHook ?? null,
    });
    if (retention) await tx.jobs.setRetention(jobId, retention);
    // Last, so a refused schedule rolls the job back with it.
    if (schedule) await writeSchedule(ctx, tx, { kind: ScheduleKind.backup, ownerId: jobId }, schedule);
    // Every job drills: its own settings and schedule, or weekly with the defaults.
    await writeDrill(ctx, tx, jobId, b.drill, { replaceSettings: false });
    return jobId;
  });
  return { status: 201, body: { ...jobView(await ctx.catalog.jobs.get(id)), schedule: await jobScheduleView(ctx, id) } };
});

export const runJob = handler('runJob', async (ctx, { params }) => {
  const job = await ctx.catalog.jobs.get(params.id);
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `runJob:${job.id}`),
    run: { kind: 'backup', jobId: job.id, repositoryId: job.repositoryId, agentName: job.agentName },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.backup, job.id, at),
    // Same run kind and id as a files backup (the job's runs and health together), its own steps.
    workflow: job.kind === JobKind.guest ? Workflows.guestBackup : Workflows.backup,
    input: (runId) => ({ runId, jobId: job.id, agentScheduleToStartMs: ctx.agentScheduleToStartMs, engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs }),
  });
  // A replayed Idempotency-Key answers as the first request was answered.
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});

export const updateJob = handler('updateJob', async (ctx, { params, body: b }) => {
  await ctx.catalog.transaction(async (tx) => {
    // Held to the commit: two edits of one job apply one after the other, never interleaved.
    const job = await tx.jobs.get(params.id, { lock: true });
    if (b.repositoryId !== undefined && b.repositoryId !== job.repositoryId) {
      throw new InputError(`a job's repository does not change: its snapshots live in repository ${job.repositoryId}; create a new job for repository ${b.repositoryId}`);
    }
    if (job.kind === JobKind.guest) checkGuestJobUpdate(b);
    if (job.kind === JobKind.container) checkContainerJobUpdate(b);
    const mode = b.mode ?? job.mode;
    checkJobModePaths(mode, b.paths ?? job.paths);
    const agentName = b.agent ?? job.agentName;
    const agent = await tx.agents.findByName(agentName);
    if (!agent) throw new InputError(`unknown agent "${agentName}": agents register themselves when they start`);
    const plugins = await tx.pluginConfigs.ofJob(job.id);
    checkJobModePlugins({ id: job.id, mode }, plugins.map((p) => p.id));
    if (agentName !== job.agentName && plugins.length > 0) {
      throw new InputError(`job ${job.id} has plugin configurations of agent "${job.agentName}" (${plugins.map((p) => p.name).join(', ')}): detach them (PUT /v1/jobs/${job.id}/plugins) before moving it to "${agentName}"`);
    }
    const repository = await tx.repositories.get(job.repositoryId);
    checkJobForEngine(repository.engine, { mode, retention: job.retention, pluginCount: plugins.length });
    checkAgentHasEngine(repository.engine, mode, agent);
    await tx.jobs.update(job.id, {
      name: b.name,
      agentId: agent.id,
      paths: b.paths,
      excludes: b.excludes,
      snapshotMode: b.snapshotMode,
      mode: b.mode,
      preScript: b.preScript,
      postHook: b.postHook,
    });
  });
  const job = await ctx.catalog.jobs.get(params.id);
  ctx.logger.info({ jobId: job.id, fields: Object.keys(b) }, 'job updated');
  return { status: 200, body: { ...jobView(job), schedule: await jobScheduleView(ctx, job.id) } };
});

export const deleteJob = handler('deleteJob', async (ctx, { params }) => {
  await ctx.catalog.transaction(async (tx) => {
    // The lock keeps a run from being recorded between the check and the delete.
    const job = await tx.jobs.get(params.id, { lock: true });
    const active = await tx.jobs.activeRuns(job.id);
    if (active.length > 0) {
      throw new ConflictError(`job ${job.id} has runs that have not finished (${active.map((r) => `${r.kind} ${r.id} ${r.status}`).join(', ')}): cancel them or wait, then delete`);
    }
    await tx.jobs.markDeleted(job.id);
    // Catalog rows and Temporal Schedules together, as every schedule change is: a Temporal
    // refusal rolls the delete back; a crash after it is repaired by the start-up reconcile.
    for (const kind of [ScheduleKind.backup, ScheduleKind.drill]) {
      const id = scheduleIdFor(kind, job.id);
      await tx.schedules.delete(id);
      await removeSchedule(ctx.temporal, id);
    }
    // A guest job leaves dirty bitmaps in its guest and a stage on its agent: a workflow
    // takes them away, waiting for the agent if it is down. Started inside the transaction:
    // a Temporal refusal rolls the delete back; started twice (a retried DELETE), it is one.
    if (job.kind === JobKind.guest && job.guest) {
      await ctx.temporal.workflow.start(Workflows.guestJobCleanup.type, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: guestJobCleanupWorkflowId(job.id),
        args: [{ jobId: job.id, agentName: job.agentName, guest: job.guest }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    }
  });
  ctx.logger.info({ jobId: params.id }, 'job deleted (its snapshots and runs remain)');
  return { status: 204, body: undefined };
});
