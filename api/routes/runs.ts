import { defaultPayloadConverter } from '@temporalio/common';
import type { BackupProgress, Run, RunKind } from '../../core/model';
import { TERMINAL_STATUSES } from '../../core/model';
import type { BackupHeartbeat } from '../../activities/agent';
import type { ApiContext, Handler } from '../context';

/** The engine step's latest heartbeat, read from the workflow's pending activities. */
export async function liveProgress(ctx: ApiContext, workflowId: string): Promise<BackupProgress | null> {
  try {
    const d = await ctx.temporal.workflow.getHandle(workflowId).describe();
    // Restores heartbeat the same { phase, progress } shape as backups.
    const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'runBackup' || a.activityType?.name === 'runRestore');
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

async function runView(ctx: ApiContext, run: Run, withProgress: boolean) {
  const active = !TERMINAL_STATUSES.includes(run.status);
  return { ...run, progress: active && withProgress ? await liveProgress(ctx, run.workflowId) : null };
}

export const getRun: Handler = async (ctx, { params }) => {
  const run = await ctx.catalog.getRun(params.runId as string);
  return { status: 200, body: await runView(ctx, run, true) };
};

export const listRuns: Handler = async (ctx, { query }) => {
  const runs = await ctx.catalog.listRuns({
    jobId: query.jobId as number | undefined,
    repositoryId: query.repositoryId as number | undefined,
    kind: query.kind as RunKind | undefined,
    limit: query.limit as number,
  });
  return { status: 200, body: { items: await Promise.all(runs.map((r) => runView(ctx, r, false))) } };
};

export const listSnapshots: Handler = async (ctx, { query }) => ({
  status: 200,
  body: { items: await ctx.catalog.listSnapshots({ jobId: query.jobId as number | undefined, limit: query.limit as number }) },
});

export const getHealth: Handler = async (ctx) => {
  await ctx.catalog.db.query('SELECT 1');
  return { status: 200, body: { status: 'ok', version: ctx.version } };
};
