// Starting a run: the catalog row and the Temporal workflow appear together or not at all,
// under a workflow id that no earlier run has. Every kind of run starts through here.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ConflictError } from '../core/errors';
import { SERVER_TASK_QUEUE } from '../core/names';
import { runSearchAttributes } from '../core/search-attributes';
import { withTransaction } from '../catalog/db';
import type { NewRun } from '../catalog/store';
import type { ApiContext } from './context';

const UNIQUE_VIOLATION = '23505';
const ATTEMPTS = 3;

export interface StartRunRequest {
  run: Omit<NewRun, 'workflowId'>;
  /** Workflow ids carry the start time to the second (`<kind>/<scope>/<time>`). */
  workflowIdAt: (at: Date) => string;
  workflowType: string;
  args: unknown[];
}

/**
 * Inserts the run row and starts its workflow in one transaction: the row commits only if
 * Temporal accepted the workflow, and the workflow upserts the same row, so neither order of
 * failure leaves a run without its workflow. Two runs of one job or repository in the same
 * second would share an id: the later one waits for the next second instead of failing.
 */
export async function startRun(ctx: ApiContext, req: StartRunRequest): Promise<{ runId: string; workflowId: string }> {
  for (let attempt = 1; ; attempt++) {
    const workflowId = req.workflowIdAt(new Date());
    try {
      await withTransaction(ctx.catalog.db, async (tx) => {
        await ctx.catalog.insertRun(tx, { ...req.run, workflowId });
        await ctx.temporal.workflow.start(req.workflowType, {
          taskQueue: SERVER_TASK_QUEUE,
          workflowId,
          args: req.args,
          // Filterable in the Web UI from the first moment; the workflow adds BackstopOutcome.
          typedSearchAttributes: runSearchAttributes({ kind: req.run.kind ?? 'backup', jobId: req.run.jobId, agentName: req.run.agentName, repositoryId: req.run.repositoryId }),
        });
      });
      ctx.logger.info({ runId: req.run.id, workflowId, kind: req.run.kind }, 'run started');
      return { runId: req.run.id, workflowId };
    } catch (err) {
      const taken = (err as { code?: string }).code === UNIQUE_VIOLATION || err instanceof WorkflowExecutionAlreadyStartedError;
      if (!taken) throw err;
      if (attempt >= ATTEMPTS) throw new ConflictError(`a run ${workflowId} already exists: try again`);
      await new Promise((r) => setTimeout(r, 1_005 - (Date.now() % 1_000)));
    }
  }
}
