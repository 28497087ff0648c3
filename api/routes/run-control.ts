// Run control: cancelling a run of any kind. The run's workflow is cancelled through
// Temporal; its engine step stops the engine (SIGINT, SIGKILL after the grace period) and
// its non-cancellable cleanup releases the repository lock and the snapshot, runs the post
// hooks with success=false and records the run as `cancelled` — by whom, from this row.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Run } from '../../contract/model';
import { TERMINAL_STATUSES } from '../../contract/model';
import { ConflictError } from '../../contract/errors';
import { handler, type ApiContext, type ResultOf } from '../context';
import { liveProgress } from './runs';

async function view(ctx: ApiContext, run: Run) {
  const active = !TERMINAL_STATUSES.includes(run.status);
  return { ...run, progress: active ? await liveProgress(ctx, run.workflowId) : null };
}

/** Cancelled already: a second cancel is a no-op that shows the run. Finished otherwise: nothing to cancel. */
async function finished(ctx: ApiContext, run: Run): Promise<ResultOf<'cancelRun'>> {
  if (run.status === 'cancelled') return { status: 200, body: await view(ctx, run) };
  throw new ConflictError(`run ${run.id} has already finished (${run.status}): there is nothing to cancel`);
}

export const cancelRun = handler('cancelRun', async (ctx, { params, body, identity }) => {
  const before = await ctx.catalog.runs.get(params.runId);
  if (TERMINAL_STATUSES.includes(before.status)) return finished(ctx, before);
  const note = body?.note ?? null;
  // Who asked goes on the row first, so the cleanup that records the run can name them.
  const { run, recorded } = await ctx.catalog.runs.recordCancelRequest(before.id, identity.name, note);
  if (TERMINAL_STATUSES.includes(run.status)) return finished(ctx, run);
  try {
    // Asking again (a second cancel) is harmless: Temporal keeps the first request.
    await ctx.temporal.workflow.getHandle(run.workflowId).cancel();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // The workflow ended between the read and the request; its row says how.
      const now = await ctx.catalog.runs.get(run.id);
      if (TERMINAL_STATUSES.includes(now.status)) return finished(ctx, now);
      throw new ConflictError(`run ${run.id} has no running workflow to cancel`);
    }
    // Not delivered: forget this request, so it neither names a canceller nor blocks a retry.
    if (recorded) await ctx.catalog.runs.clearCancelRequest(run.id, identity.name);
    throw err;
  }
  if (recorded) ctx.logger.info({ runId: run.id, workflowId: run.workflowId, by: identity.name }, 'run cancellation requested');
  return { status: 202, body: await view(ctx, run) };
});
