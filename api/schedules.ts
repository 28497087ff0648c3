// The Temporal side of Backstop's schedules: what a catalog schedule row means as a Temporal
// Schedule (pure), writing it (create or update, whichever the server needs), and the
// start-up reconcile that makes Temporal's Backstop schedules equal to the catalog's.
//
// Reconcile runs in the API process: the API is the only writer of schedules (every change
// goes through its catalog transaction), and the action's arguments carry the API's
// configuration (how long a step waits for an unreachable agent), so a restart with a new
// configuration also refreshes every schedule.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import { InputError } from '../contract/errors';
import { SCHEDULE_ID_PREFIXES, SERVER_TASK_QUEUE, ScheduleKind, isJobScheduleKind, scheduledWorkflowIdFor } from '../contract/names';
import { toTemporalSpec } from '../core/schedule';
import type { ScheduleRecord, Schedules } from '../catalog/schedules';
import type { Logger } from '../core/logger';
import { Workflows, type BackupWorkflowInput, type DrillWorkflowInput, type PruneWorkflowInput, type S3SyncWorkflowInput } from '../contract/workflows';

/** The API configuration a scheduled backup or drill carries (a scheduled run does not pass through the API). */
export interface ScheduledRunConfig {
  agentScheduleToStartMs: number;
  engineHeartbeatTimeoutMs: number;
}

/** The workflow each kind of schedule starts. */
const SCHEDULED_WORKFLOW = {
  backup: Workflows.backup,
  prune: Workflows.prune,
  's3-sync': Workflows.s3Sync,
  drill: Workflows.drill,
} as const satisfies Record<ScheduleKind, { type: string }>;

/** The arguments of the workflow a schedule starts: ids and settings, no run id (the workflow draws one). */
function scheduledWorkflowArgs(s: ScheduleRecord, config: ScheduledRunConfig): [BackupWorkflowInput | DrillWorkflowInput] | [PruneWorkflowInput | S3SyncWorkflowInput] {
  // Backups and drills of a job take the same input (a drill's agent comes from its settings).
  if (isJobScheduleKind(s.kind)) {
    return [{ jobId: s.jobId!, agentScheduleToStartMs: config.agentScheduleToStartMs, engineHeartbeatTimeoutMs: config.engineHeartbeatTimeoutMs }];
  }
  // Prunes and S3 syncs of a repository take the same input.
  return [{ repositoryId: s.repositoryId! }];
}

/** The workflow id a schedule's runs start with (Temporal appends the fire time). */
export function workflowIdPrefixOf(s: ScheduleRecord): string {
  return scheduledWorkflowIdFor(s.kind, (s.jobId ?? s.repositoryId)!);
}

/** The whole Temporal Schedule for a catalog row (pure). */
export function temporalScheduleFor(s: ScheduleRecord, config: ScheduledRunConfig): ScheduleOptions {
  const { spec, policies } = toTemporalSpec(s.definition);
  return {
    scheduleId: s.id,
    spec,
    policies,
    action: {
      type: 'startWorkflow',
      // A guest job's backups are the guest backup's workflow, with the same input.
      workflowType: s.kind === 'backup' && s.guestJob ? Workflows.guestBackup.type : SCHEDULED_WORKFLOW[s.kind].type,
      taskQueue: SERVER_TASK_QUEUE,
      workflowId: workflowIdPrefixOf(s),
      args: scheduledWorkflowArgs(s, config),
    },
    state: { paused: s.paused, ...(s.note ? { note: s.note } : {}) },
  };
}

/**
 * Whether the schedule stays paused after an update: as the catalog says, except that a
 * schedule Temporal paused itself after a failed run (pause-on-failure) stays paused until
 * an operator resumes it.
 */
export function pausedAfterUpdate(s: ScheduleRecord, current: Pick<ScheduleDescription['state'], 'paused'>): boolean {
  return s.paused || (s.definition.pauseOnFailure && current.paused);
}

/** Temporal refuses a spec it cannot read with a TypeError: that is the caller's input. */
function asInputError(err: unknown): never {
  if (err instanceof TypeError) throw new InputError(`Temporal refused the schedule: ${err.message}`);
  throw err;
}

async function update(client: Client, s: ScheduleRecord, config: ScheduledRunConfig): Promise<void> {
  const { spec, policies, action, state } = temporalScheduleFor(s, config);
  await client.schedule.getHandle(s.id).update((previous): ScheduleUpdateOptions => {
    const paused = pausedAfterUpdate(s, previous.state);
    // Paused by Temporal after a failure: keep the note it wrote, which says why.
    const note = paused && !s.paused ? previous.state.note : state?.note;
    return { spec, policies, action, state: { paused, ...(note ? { note } : {}) } };
  });
}

/** Makes the Temporal Schedule equal to the catalog row: updated if it exists, created if not. */
export async function applySchedule(client: Client, s: ScheduleRecord, config: ScheduledRunConfig): Promise<'created' | 'updated'> {
  try {
    await update(client, s, config);
    return 'updated';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) asInputError(err);
  }
  try {
    await client.schedule.create(temporalScheduleFor(s, config));
    return 'created';
  } catch (err) {
    // Created by a concurrent writer since the update failed: update it instead.
    if (err instanceof ScheduleAlreadyRunning) {
      await update(client, s, config).catch(asInputError);
      return 'updated';
    }
    asInputError(err);
  }
}

/** Deletes a Temporal Schedule; one already gone is fine. */
export async function removeSchedule(client: Client, id: string): Promise<void> {
  await client.schedule
    .getHandle(id)
    .delete()
    .catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
}

export interface ReconcilePlan {
  create: string[];
  update: string[];
  delete: string[];
}

export const isBackstopScheduleId = (id: string) => SCHEDULE_ID_PREFIXES.some((p) => id.startsWith(p));

/**
 * What to do so Temporal's Backstop schedules equal the catalog's (pure). Every schedule in
 * both is updated: the server stores cron expressions compiled into calendars, so comparing
 * specs is unreliable, and an update of a handful of schedules at start-up is cheap and also
 * repairs a spec, policy or pause state changed behind Backstop's back. Schedules of others
 * (ids without a Backstop prefix) are never touched.
 */
export function planReconcile(desired: readonly string[], actual: readonly string[]): ReconcilePlan {
  const have = new Set(actual.filter(isBackstopScheduleId));
  const want = new Set(desired);
  return {
    create: [...want].filter((id) => !have.has(id)).sort(),
    update: [...want].filter((id) => have.has(id)).sort(),
    delete: [...have].filter((id) => !want.has(id)).sort(),
  };
}

export interface ReconcileDeps {
  temporal: Client;
  catalog: { schedules: Pick<Schedules, 'list'> };
  logger: Logger;
  config: ScheduledRunConfig;
}

/** Backstop's schedule ids as Temporal lists them (the list is eventually consistent; apply copes). */
async function listBackstopScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (isBackstopScheduleId(s.scheduleId)) ids.push(s.scheduleId);
  return ids;
}

/** Repairs any drift between the catalog's schedules and Temporal's; returns what it did. */
export async function reconcileSchedules(deps: ReconcileDeps): Promise<ReconcilePlan> {
  const rows = await deps.catalog.schedules.list();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const plan = planReconcile([...byId.keys()], await listBackstopScheduleIds(deps.temporal));
  const done: ReconcilePlan = { create: [], update: [], delete: [] };
  for (const id of [...plan.create, ...plan.update]) {
    // apply decides by what the server says, not by the (possibly stale) list.
    const how = await applySchedule(deps.temporal, byId.get(id)!, deps.config);
    done[how === 'created' ? 'create' : 'update'].push(id);
  }
  for (const id of plan.delete) {
    await removeSchedule(deps.temporal, id);
    done.delete.push(id);
  }
  deps.logger.info({ created: done.create, updated: done.update.length, deleted: done.delete }, 'schedules reconciled');
  return done;
}
