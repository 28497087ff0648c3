// Restore drills (issue 17): start one now, read and set a job's drill settings and schedule.
// The drill schedule is a Temporal Schedule like the job's backup schedule (api/schedules.ts),
// written in the same catalog transaction as its row.
import { InputError } from '../../contract/errors';
import { requireCapability } from '../../contract/engine-capabilities';
import { Workflows } from '../../contract/workflows';
import { ScheduleKind, WorkflowKind, scheduleIdFor, workflowIdFor } from '../../contract/names';
import { normalizeDrillSettings, type DrillSettings } from '../../contract/drill';
import { defaultDrillSchedule } from '../../core/drill';
import { normalizeSchedule, type ScheduleDefinition } from '../../core/schedule';
import type { CatalogScope } from '../../catalog/catalog';
import { drillSampleSite } from '../../activities/server/drill-activities';
import { idempotencyOf, startRun } from '../start-run';
import { DEFAULT_NEXT_RUNS, scheduleView, writeSchedule } from './schedules';
import { handler, type ApiContext } from '../context';
import type { components } from '../../contract/generated/api-schema';

export type DrillSettingsSet = components['schemas']['DrillSettingsSet'];

/** The settings as stored (only what was set), checked against the defaults' bounds. */
function storedSettings(b: DrillSettingsSet | undefined): Partial<DrillSettings> | null {
  if (!b) return null;
  // The schedule is the drill schedule's row, not a setting.
  const given = Object.fromEntries(Object.entries(b).filter(([k, v]) => k !== 'schedule' && v !== undefined)) as Partial<DrillSettings>;
  normalizeDrillSettings(given);
  return Object.keys(given).length > 0 ? given : null;
}

async function requireAgent(catalog: CatalogScope, name: string | null | undefined): Promise<void> {
  if (name && !(await catalog.agents.findByName(name))) throw new InputError(`unknown agent "${name}": agents register themselves when they start`);
}

/**
 * Writes a job's drill settings and, when given, its drill schedule (else the default weekly
 * one if it has none yet), inside `tx`: job creation and PUT /drill both come here.
 */
export async function writeDrill(ctx: ApiContext, tx: CatalogScope, jobId: number, b: DrillSettingsSet | undefined, opts: { replaceSettings: boolean }): Promise<void> {
  const settings = storedSettings(b);
  await requireAgent(tx, settings?.agent);
  if (opts.replaceSettings || settings) await tx.jobs.setDrillSettings(jobId, settings);
  const existing = await tx.schedules.find(scheduleIdFor(ScheduleKind.drill, jobId));
  const definition: ScheduleDefinition | null = b?.schedule ?? (existing ? null : defaultDrillSchedule(jobId));
  if (definition) await writeSchedule(ctx, tx, { kind: ScheduleKind.drill, ownerId: jobId }, normalizeSchedule(definition));
}

async function jobDrillView(ctx: ApiContext, jobId: number, nextRuns = DEFAULT_NEXT_RUNS) {
  const settings = normalizeDrillSettings(await ctx.catalog.jobs.drillSettings(jobId));
  const rec = await ctx.catalog.schedules.find(scheduleIdFor(ScheduleKind.drill, jobId));
  return { jobId, settings, schedule: rec ? await scheduleView(ctx, rec, nextRuns) : null };
}

export const getJobDrill = handler('getJobDrill', async (ctx, { params, query }) => {
  await ctx.catalog.jobs.get(params.id);
  return { status: 200, body: await jobDrillView(ctx, params.id, query.nextRuns ?? DEFAULT_NEXT_RUNS) };
});

export const setJobDrill = handler('setJobDrill', async (ctx, { params, body }) => {
  await ctx.catalog.jobs.get(params.id);
  // Both checked before the transaction: a refusal writes nothing.
  if (body.schedule) normalizeSchedule(body.schedule);
  storedSettings(body);
  await ctx.catalog.transaction((tx) => writeDrill(ctx, tx, params.id, body, { replaceSettings: true }));
  ctx.logger.info({ jobId: params.id }, 'drill settings written');
  return { status: 200, body: await jobDrillView(ctx, params.id) };
});

export const runJobDrill = handler('runJobDrill', async (ctx, { params, body }) => {
  const job = await ctx.catalog.jobs.get(params.id);
  const repository = await ctx.catalog.repositories.get(job.repositoryId);
  // PBS: 400 naming the reason, before any run exists.
  requireCapability(repository.engine, 'drill');
  const settings = normalizeDrillSettings(await ctx.catalog.jobs.drillSettings(job.id));
  const agentName = body?.agent ?? settings.agent ?? job.agentName;
  await requireAgent(ctx.catalog, agentName);
  // The row says where the sample is restored: an agent-site drill is what lets that agent
  // fetch the repository's password while the drill runs (as an agent restore does).
  const engineSite = await drillSampleSite(ctx.catalog, job, agentName, repository.id);
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `runJobDrill:${job.id}`),
    run: { kind: 'drill', jobId: job.id, repositoryId: repository.id, agentName, engineSite },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.drill, job.id, at),
    workflow: Workflows.drill,
    input: (runId) => ({ runId, jobId: job.id, agentName, agentScheduleToStartMs: ctx.agentScheduleToStartMs, engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs }),
  });
  if (!started.replayed) ctx.logger.info({ jobId: job.id, runId: started.runId, workflowId: started.workflowId, agentName, engineSite }, 'restore drill started');
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
