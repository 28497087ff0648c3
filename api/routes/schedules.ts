// Schedules of jobs (backups) and repositories (prune, S3 sync): set, delete, pause, resume,
// trigger and backfill. The catalog row and the Temporal Schedule change in one catalog
// transaction (the Temporal call inside it, as api/start-run.ts does), so a refused or
// failed Temporal call leaves the catalog as it was; a crash between the Temporal call and
// the commit is repaired by the start-up reconcile (api/schedules.ts).
import { ScheduleNotFoundError } from '@temporalio/client';
import { ConflictError, InputError, NotFoundError } from '../../contract/errors';
import { ScheduleKind, scheduleIdFor, scheduledWorkflowIdFor } from '../../contract/names';
import { backfillOverlap, normalizeSchedule, type BackfillOverlap, type ScheduleDefinition } from '../../core/schedule';
import type { ScheduleRecord } from '../../catalog/schedules';
import type { CatalogScope } from '../../catalog/catalog';
import { applySchedule, removeSchedule } from '../schedules';
import type { ApiContext, Handler, HandlerInput } from '../context';

export const DEFAULT_NEXT_RUNS = 5;

interface Owner {
  kind: ScheduleKind;
  /** The job id for backups, the repository id for prune and S3 sync. */
  ownerId: number;
}

const jobOwner = (input: HandlerInput): Owner => ({ kind: ScheduleKind.backup, ownerId: input.params.id as number });
const repositoryOwner = (input: HandlerInput): Owner => ({ kind: input.params.kind as ScheduleKind, ownerId: input.params.id as number });

/** Throws NotFound for a job or repository that does not exist (checked before any transaction). */
async function checkOwner(ctx: ApiContext, o: Owner): Promise<void> {
  if (o.kind === ScheduleKind.backup) await ctx.catalog.jobs.get(o.ownerId);
  else await ctx.catalog.repositories.get(o.ownerId);
}

function scheduleRecord(o: Owner, definition: ReturnType<typeof normalizeSchedule>): Omit<ScheduleRecord, 'paused' | 'note' | 'updatedAt'> {
  return {
    id: scheduleIdFor(o.kind, o.ownerId),
    kind: o.kind,
    jobId: o.kind === ScheduleKind.backup ? o.ownerId : null,
    repositoryId: o.kind === ScheduleKind.backup ? null : o.ownerId,
    definition,
  };
}

async function existingSchedule(ctx: ApiContext, o: Owner): Promise<ScheduleRecord> {
  await checkOwner(ctx, o);
  const rec = await ctx.catalog.schedules.find(scheduleIdFor(o.kind, o.ownerId));
  const owner = o.kind === ScheduleKind.backup ? `job ${o.ownerId}` : `repository ${o.ownerId}`;
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
    workflowIdPrefix: scheduledWorkflowIdFor(rec.kind, (rec.jobId ?? rec.repositoryId)!),
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

function setSchedule(ownerOf: (i: HandlerInput) => Owner): Handler {
  return async (ctx, input) => {
    const o = ownerOf(input);
    const definition = normalizeSchedule(input.body as ScheduleDefinition);
    await checkOwner(ctx, o);
    if (o.kind === ScheduleKind.s3Sync && !(await ctx.catalog.repositories.hasSyncTarget(o.ownerId))) {
      throw new ConflictError(`repository ${o.ownerId} has no S3 sync target: PUT /v1/repositories/${o.ownerId}/s3-sync first`);
    }
    const rec = await ctx.catalog.transaction((tx) => writeSchedule(ctx, tx, o, definition));
    return { status: 200, body: await scheduleView(ctx, rec) };
  };
}

function getSchedule(ownerOf: (i: HandlerInput) => Owner): Handler {
  return async (ctx, input) => {
    const rec = await existingSchedule(ctx, ownerOf(input));
    return { status: 200, body: await scheduleView(ctx, rec, (input.query.nextRuns as number | undefined) ?? DEFAULT_NEXT_RUNS) };
  };
}

function deleteSchedule(ownerOf: (i: HandlerInput) => Owner): Handler {
  return async (ctx, input) => {
    const rec = await existingSchedule(ctx, ownerOf(input));
    await ctx.catalog.transaction(async (tx) => {
      if (!(await tx.schedules.delete(rec.id))) throw new NotFoundError(`schedule ${rec.id} not found`);
      await removeSchedule(ctx.temporal, rec.id);
    });
    ctx.logger.info({ scheduleId: rec.id }, 'schedule deleted');
    return { status: 204, body: undefined };
  };
}

function setPaused(ownerOf: (i: HandlerInput) => Owner, paused: boolean): Handler {
  return async (ctx, input) => {
    const current = await existingSchedule(ctx, ownerOf(input));
    const note = (input.body as { note?: string } | undefined)?.note ?? null;
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
    return { status: 200, body: await scheduleView(ctx, rec) };
  };
}

/** Runs the schedule's action now (the schedule's overlap policy applies), also when paused. */
function triggerSchedule(ownerOf: (i: HandlerInput) => Owner): Handler {
  return async (ctx, input) => {
    const rec = await existingSchedule(ctx, ownerOf(input));
    const handle = ctx.temporal.schedule.getHandle(rec.id);
    await handle.trigger().catch(async (err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await applySchedule(ctx.temporal, rec, ctx);
      await handle.trigger();
    });
    ctx.logger.info({ scheduleId: rec.id }, 'schedule triggered');
    return { status: 202, body: { scheduleId: rec.id, workflowIdPrefix: scheduledWorkflowIdFor(rec.kind, (rec.jobId ?? rec.repositoryId)!) } };
  };
}

/** Takes every action the schedule would have taken in [start, end], now (all of them unless `overlap` says otherwise). */
function backfillSchedule(ownerOf: (i: HandlerInput) => Owner): Handler {
  return async (ctx, input) => {
    const b = input.body as { start: string; end: string; overlap?: BackfillOverlap };
    const start = new Date(b.start);
    const end = new Date(b.end);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new InputError('start and end must be date-times');
    if (end <= start) throw new InputError('end must be after start');
    const rec = await existingSchedule(ctx, ownerOf(input));
    const overlap = backfillOverlap(b.overlap);
    await ctx.temporal.schedule.getHandle(rec.id).backfill({ start, end, overlap });
    ctx.logger.info({ scheduleId: rec.id, start, end, overlap }, 'schedule backfilled');
    return { status: 202, body: { scheduleId: rec.id, workflowIdPrefix: scheduledWorkflowIdFor(rec.kind, (rec.jobId ?? rec.repositoryId)!) } };
  };
}

export const setJobSchedule = setSchedule(jobOwner);
export const deleteJobSchedule = deleteSchedule(jobOwner);
export const pauseJobSchedule = setPaused(jobOwner, true);
export const resumeJobSchedule = setPaused(jobOwner, false);
export const triggerJobSchedule = triggerSchedule(jobOwner);
export const backfillJobSchedule = backfillSchedule(jobOwner);

export const setRepositorySchedule = setSchedule(repositoryOwner);
export const getRepositorySchedule = getSchedule(repositoryOwner);
export const deleteRepositorySchedule = deleteSchedule(repositoryOwner);
export const pauseRepositorySchedule = setPaused(repositoryOwner, true);
export const resumeRepositorySchedule = setPaused(repositoryOwner, false);
export const triggerRepositorySchedule = triggerSchedule(repositoryOwner);
export const backfillRepositorySchedule = backfillSchedule(repositoryOwner);
