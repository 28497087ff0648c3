// Schedules of jobs (backups) and repositories (prune, S3 sync): set, delete, pause, resume,
// trigger and backfill. The catalog row and the Temporal Schedule change in one catalog
// transaction (the Temporal call inside it, as api/start-run.ts does), so a refused or
// failed Temporal call leaves the catalog as it was; a crash between the Temporal call and
// the commit is repaired by the start-up reconcile (api/schedules.ts).
import { ScheduleNotFoundError } from '@temporalio/client';
import { ConflictError, InputError, NotFoundError } from '../../contract/errors';
import { ScheduleKind, isJobScheduleKind, scheduleIdFor } from '../../contract/names';
import { backfillOverlap, normalizeSchedule, type BackfillOverlap, type ScheduleDefinition } from '../../core/schedule';
import type { ScheduleRecord } from '../../catalog/schedules';
import type { CatalogScope } from '../../catalog/catalog';
import { applySchedule, removeSchedule, workflowIdPrefixOf } from '../schedules';
import { handler, type ApiContext, type PathParams } from '../context';

export const DEFAULT_NEXT_RUNS = 5;

export interface Owner {
  kind: ScheduleKind;
  /** The job id for backups and drills, the repository id for prune and S3 sync. */
  ownerId: number;
}

const jobOwner = (params: PathParams<'setJobSchedule'>): Owner => ({ kind: ScheduleKind.backup, ownerId: params.id });
const drillOwner = (params: PathParams<'pauseJobDrillSchedule'>): Owner => ({ kind: ScheduleKind.drill, ownerId: params.id });
const repositoryOwner = (params: PathParams<'setRepositorySchedule'>): Owner => ({ kind: params.kind, ownerId: params.id });

/** Throws NotFound for a job or repository that does not exist (checked before any transaction). */
async function checkOwner(ctx: ApiContext, o: Owner): Promise<void> {
  if (isJobScheduleKind(o.kind)) await ctx.catalog.jobs.get(o.ownerId);
  else await ctx.catalog.repositories.get(o.ownerId);
}

function scheduleRecord(o: Owner, definition: ReturnType<typeof normalizeSchedule>): Omit<ScheduleRecord, 'paused' | 'note' | 'updatedAt'> {
  return {
    id: scheduleIdFor(o.kind, o.ownerId),
    kind: o.kind,
    jobId: isJobScheduleKind(o.kind) ? o.ownerId : null,
    repositoryId: isJobScheduleKind(o.kind) ? null : o.ownerId,
    definition,
  };
}

async function existingSchedule(ctx: ApiContext, o: Owner): Promise<ScheduleRecord> {
  await checkOwner(ctx, o);
  const rec = await ctx.catalog.schedules.find(scheduleIdFor(o.kind, o.ownerId));
  const owner = isJobScheduleKind(o.kind) ? `job ${o.ownerId}` : `repository ${o.ownerId}`;
  if (!rec) throw new NotFoundError(`${owner} has no ${o.kind} schedule`);
  return rec;
}

/** The next fire times as Temporal computes them (jitter excluded); none when the schedule is missing there. */
async function nextRuns(ctx: ApiContext, id: string, n: number): Promise<string[]> {
  try {
    const d = await ctx.temporal.schedule.getHandle(id).describe();
    return d.info.nextActionTimes.slice(0, n).map((t) => t.toISOString());
  } catch (err) {
    // Showing a job must not fail because Temporal is away or the schedule drifted.
    if (err instanceof ScheduleNotFoundError) ctx.logger.warn({ scheduleId: id }, 'schedule missing in Temporal; the next API start-up reconcile recreates it');
    else ctx.logger.warn({ err, scheduleId: id }, 'next fire times unavailable');
    return [];
  }
}

/** The API's view of a schedule: its definition, pause state and next fire times. */
export async function scheduleView(ctx: ApiContext, rec: ScheduleRecord, n = DEFAULT_NEXT_RUNS) {
  return {
    scheduleId: rec.id,
    kind: rec.kind,
    ...rec.definition,
    paused: rec.paused,
    note: rec.note,
    // Temporal appends `-<fire time>` to this for each scheduled run.
    workflowIdPrefix: workflowIdPrefixOf(rec),
    nextRuns: await nextRuns(ctx, rec.id, n),
    updatedAt: rec.updatedAt,
  };
}

/** A job's schedule for GET /v1/jobs/{id}, or null. */
export async function jobScheduleView(ctx: ApiContext, jobId: number, n = DEFAULT_NEXT_RUNS) {
  const rec = await ctx.catalog.schedules.find(scheduleIdFor(ScheduleKind.backup, jobId));
  return rec ? scheduleView(ctx, rec, n) : null;
}

/**
 * Writes a schedule row and its Temporal Schedule inside `tx`'s transaction; used by PUT and
 * by job creation. The definition must be normalized (validated) already.
 */
export async function writeSchedule(ctx: ApiContext, tx: CatalogScope, o: Owner, definition: ReturnType<typeof normalizeSchedule>): Promise<ScheduleRecord> {
  const rec = await tx.schedules.upsert(scheduleRecord(o, definition));
  const how = await applySchedule(ctx.temporal, rec, ctx);
  ctx.logger.info({ scheduleId: rec.id, how }, 'schedule written');
  return rec;
}

/** PUT: validates the definition, then writes the row and the Temporal Schedule together. */
async function setSchedule(ctx: ApiContext, o: Owner, body: ScheduleDefinition) {
  const definition = normalizeSchedule(body);
  await checkOwner(ctx, o);
  if (o.kind === ScheduleKind.s3Sync && !(await ctx.catalog.repositories.hasSyncTarget(o.ownerId))) {
    throw new ConflictError(`repository ${o.ownerId} has no S3 sync target: PUT /v1/repositories/${o.ownerId}/s3-sync first`);
  }
  const rec = await ctx.catalog.transaction((tx) => writeSchedule(ctx, tx, o, definition));
  return scheduleView(ctx, rec);
}

async function getSchedule(ctx: ApiContext, o: Owner, nextRunCount: number | undefined) {
  const rec = await existingSchedule(ctx, o);
  return scheduleView(ctx, rec, nextRunCount ?? DEFAULT_NEXT_RUNS);
}

async function deleteSchedule(ctx: ApiContext, o: Owner): Promise<void> {
  const rec = await existingSchedule(ctx, o);
  await ctx.catalog.transaction(async (tx) => {
    if (!(await tx.schedules.delete(rec.id))) throw new NotFoundError(`schedule ${rec.id} not found`);
    await removeSchedule(ctx.temporal, rec.id);
  });
  ctx.logger.info({ scheduleId: rec.id }, 'schedule deleted');
}

async function setPaused(ctx: ApiContext, o: Owner, paused: boolean, body: { note?: string } | undefined) {
  const current = await existingSchedule(ctx, o);
  const note = body?.note ?? null;
  const rec = await ctx.catalog.transaction(async (tx) => {
    const updated = await tx.schedules.setPaused(current.id, paused, note);
    const handle = ctx.temporal.schedule.getHandle(current.id);
    try {
      if (paused) await handle.pause(note ?? undefined);
      else await handle.unpause(note ?? undefined);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await applySchedule(ctx.temporal, updated, ctx); // drifted away: recreate it in the new state
    }
    return updated;
  });
  ctx.logger.info({ scheduleId: rec.id, paused, note }, paused ? 'schedule paused' : 'schedule resumed');
  return scheduleView(ctx, rec);
}

/** Runs the schedule's action now (the schedule's overlap policy applies), also when paused. */
async function triggerSchedule(ctx: ApiContext, o: Owner) {
  const rec = await existingSchedule(ctx, o);
  const handle = ctx.temporal.schedule.getHandle(rec.id);
  await handle.trigger().catch(async (err: unknown) => {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await applySchedule(ctx.temporal, rec, ctx);
    await handle.trigger();
  });
  ctx.logger.info({ scheduleId: rec.id }, 'schedule triggered');
  return { scheduleId: rec.id, workflowIdPrefix: workflowIdPrefixOf(rec) };
}

/** Takes every action the schedule would have taken in [start, end], now (all of them unless `overlap` says otherwise). */
async function backfillSchedule(ctx: ApiContext, o: Owner, b: { start: string; end: string; overlap?: BackfillOverlap }) {
  const start = new Date(b.start);
  const end = new Date(b.end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new InputError('start and end must be date-times');
  if (end <= start) throw new InputError('end must be after start');
  const rec = await existingSchedule(ctx, o);
  const overlap = backfillOverlap(b.overlap);
  await ctx.temporal.schedule.getHandle(rec.id).backfill({ start, end, overlap });
  ctx.logger.info({ scheduleId: rec.id, start, end, overlap }, 'schedule backfilled');
  return { scheduleId: rec.id, workflowIdPrefix: workflowIdPrefixOf(rec) };
}

export const setJobSchedule = handler('setJobSchedule', async (ctx, { params, body }) => ({ status: 200, body: await setSchedule(ctx, jobOwner(params), body) }));
export const deleteJobSchedule = handler('deleteJobSchedule', async (ctx, { params }) => {
  await deleteSchedule(ctx, jobOwner(params));
  return { status: 204, body: undefined };
});
export const pauseJobSchedule = handler('pauseJobSchedule', async (ctx, { params, body }) => ({ status: 200, body: await setPaused(ctx, jobOwner(params), true, body) }));
export const resumeJobSchedule = handler('resumeJobSchedule', async (ctx, { params, body }) => ({ status: 200, body: await setPaused(ctx, jobOwner(params), false, body) }));
// A job's drill schedule: paused while its repository is repaired (a drill then would only fail and alert).
export const pauseJobDrillSchedule = handler('pauseJobDrillSchedule', async (ctx, { params, body }) => ({ status: 200, body: await setPaused(ctx, drillOwner(params), true, body) }));
export const resumeJobDrillSchedule = handler('resumeJobDrillSchedule', async (ctx, { params, body }) => ({ status: 200, body: await setPaused(ctx, drillOwner(params), false, body) }));
export const triggerJobSchedule = handler('triggerJobSchedule', async (ctx, { params }) => ({ status: 202, body: await triggerSchedule(ctx, jobOwner(params)) }));
export const backfillJobSchedule = handler('backfillJobSchedule', async (ctx, { params, body }) => ({ status: 202, body: await backfillSchedule(ctx, jobOwner(params), body) }));

export const setRepositorySchedule = handler('setRepositorySchedule', async (ctx, { params, body }) => ({ status: 200, body: await setSchedule(ctx, repositoryOwner(params), body) }));
export const getRepositorySchedule = handler('getRepositorySchedule', async (ctx, { params, query }) => ({ status: 200, body: await getSchedule(ctx, repositoryOwner(params), query.nextRuns) }));
export const deleteRepositorySchedule = handler('deleteRepositorySchedule', async (ctx, { params }) => {
  await deleteSchedule(ctx, repositoryOwner(params));
  return { status: 204, body: undefined };
});
export const pauseRepositorySchedule = handler('pauseRepositorySchedule', async (ctx, { params, body }) => ({ status: 200, body: await setPaused(ctx, repositoryOwner(params), true, body) }));
export const resumeRepositorySchedule = handler('resumeRepositorySchedule', async (ctx, { params, body }) => ({ status: 200, body: await setPaused(ctx, repositoryOwner(params), false, body) }));
export const triggerRepositorySchedule = handler('triggerRepositorySchedule', async (ctx, { params }) => ({ status: 202, body: await triggerSchedule(ctx, repositoryOwner(params)) }));
export const backfillRepositorySchedule = handler('backfillRepositorySchedule', async (ctx, { params, body }) => ({ status: 202, body: await backfillSchedule(ctx, repositoryOwner(params), body) }));
