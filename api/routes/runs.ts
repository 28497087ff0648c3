import { defaultPayloadConverter } from '@temporalio/common';
import type { BackupProgress, Run } from '../../contract/model';
import { InputError } from '../../contract/errors';
import { storedInstant } from '../../core/instant';
import { RUN_PROGRESS_QUERY } from '../../contract/names';
import { decodeRunCursor, encodeRunCursor } from '../run-cursor';
import { TERMINAL_STATUSES } from '../../contract/model';
import { handler, type ApiContext } from '../context';
import type { BackupHeartbeat } from '../../contract/backup-activities';
import type { RunProgressState } from '../../contract/workflows';

/** The engine steps, whose heartbeats carry { phase, progress }: push and pull backups, restores, a drill's sample, a guest backup (bytes read, then restic's), a guest restore (bytes streamed back). */
const ENGINE_ACTIVITIES: ReadonlySet<string> = new Set(['runBackup', 'runPullBackup', 'runRestore', 'runServerRestore', 'drillSampleFiles', 'backupGuestDisks', 'restoreGuestSnapshot']);

/** The engine step's latest heartbeat, read from the workflow's pending activities. */
export async function liveProgress(ctx: ApiContext, workflowId: string): Promise<BackupProgress | null> {
  try {
    const d = await ctx.temporal.workflow.getHandle(workflowId).describe();
    // Restores heartbeat the same { phase, progress } shape as backups.
    const pending = d.raw.pendingActivities?.find((a) => ENGINE_ACTIVITIES.has(a.activityType?.name ?? ''));
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    if (!payload) return null;
    const hb = defaultPayloadConverter.fromPayload<BackupHeartbeat>(payload);
    return hb?.progress ?? null;
  } catch (err) {
    // Progress is best effort: a missing workflow or a Temporal hiccup must not fail the read.
    ctx.logger.debug({ err, workflowId }, 'no live progress');
    return null;
  }
}

const QUERY_TIMEOUT_MS = 3_000;

/**
 * The workflow's own account of its step (the progress query). Null when the workflow
 * does not answer in time (no worker polling) or predates the query.
 */
export async function liveStep(ctx: ApiContext, workflowId: string): Promise<RunProgressState | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const query = ctx.temporal.workflow.getHandle(workflowId).query<RunProgressState>(RUN_PROGRESS_QUERY);
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), QUERY_TIMEOUT_MS)));
    return await Promise.race([query, timeout]);
  } catch (err) {
    ctx.logger.debug({ err, workflowId }, 'no live step');
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function runView(ctx: ApiContext, run: Run, withProgress: boolean) {
  const active = !TERMINAL_STATUSES.includes(run.status);
  if (!active || !withProgress) return { ...run, progress: null, live: null };
  const [progress, step] = await Promise.all([liveProgress(ctx, run.workflowId), liveStep(ctx, run.workflowId)]);
  const live = step ? { step: step.step, stepStartedAt: step.since, stepsDone: step.done, progress } : null;
  return { ...run, progress, live };
}

/** The run's notification deliveries as GET /v1/runs/{runId} shows them. */
async function runNotifications(ctx: ApiContext, runId: string) {
  const deliveries = await ctx.catalog.notifications.deliveriesOfRun(runId);
  return deliveries.map((d) => ({ channelId: d.channelId, channelName: d.channelName, event: d.event, status: d.status, attempts: d.attempts, lastError: d.lastError, deliveredAt: d.deliveredAt }));
}

export const getRun = handler('getRun', async (ctx, { params }) => {
  const run = await ctx.catalog.runs.get(params.runId);
  return { status: 200, body: { ...(await runView(ctx, run, true)), notifications: await runNotifications(ctx, run.id) } };
});

export const listRuns = handler('listRuns', async (ctx, { query }) => {
  const since = query.since === undefined ? undefined : storedInstant(query.since, 'since');
  const until = query.until === undefined ? undefined : storedInstant(query.until, 'until');
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until)) throw new InputError('since must be before until');
  const cursor = query.cursor;
  const page = await ctx.catalog.runs.list({
    jobId: query.jobId,
    repositoryId: query.repositoryId,
    kind: query.kind,
    agentName: query.agent,
    status: query.status,
    since,
    until,
    after: cursor === undefined ? undefined : decodeRunCursor(cursor),
    limit: query.limit,
  });
  return {
    status: 200,
    body: { items: await Promise.all(page.items.map((r) => runView(ctx, r, false))), nextCursor: page.next ? encodeRunCursor(page.next) : null },
  };
});

export const listSnapshots = handler('listSnapshots', async (ctx, { query }) => ({
  status: 200,
  body: { items: await ctx.catalog.snapshots.list({ jobId: query.jobId, limit: query.limit}) },
}));

export const getHealth = handler('getHealth', async (ctx) => {
  await ctx.catalog.db.query('SELECT 1');
  return { status: 200, body: { status: 'ok', version: ctx.version } };
});
