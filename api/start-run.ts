// Starting a run: the catalog row and the Temporal workflow appear together or not at all,
// under a workflow id that no earlier run has. Every kind of run starts through here.
import { isUniqueViolation } from '../catalog/rows';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ConflictError } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { runSearchAttributes } from '../contract/search-attributes';
import type { NewRun } from '../catalog/runs';
import type { ApiContext } from './context';
import type { WorkflowRef } from '../contract/workflows';
import { startWorkflow } from '../core/start-workflow';

const KEY_TAKEN = 'run_idempotency_keys_pkey';
const ATTEMPTS = 3;
/** How long an Idempotency-Key answers with its run; after that it may start a new one. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** An Idempotency-Key and what it is for (`runJob:4`): one key never starts two runs. */
export interface Idempotency {
  key: string;
  scope: string;
}

export interface StartRunRequest<I> {
  run: Omit<NewRun, 'workflowId'>;
  /** Workflow ids carry the start time to the second (`<kind>/<scope>/<time>`). */
  workflowIdAt: (at: Date) => string;
  /** The workflow (by its contract reference) and its input: the compiler checks they agree. */
  workflow: WorkflowRef<string, I, unknown>;
  input: NoInfer<I>;
  /** From the request's Idempotency-Key header, if it had one. */
  idempotency?: Idempotency;
}

export interface StartedRun {
  runId: string;
  workflowId: string;
  /** True when the Idempotency-Key had started this run already: nothing new was started. */
  replayed: boolean;
}

/** The run an earlier request with this key started; a conflict if it was for something else. */
async function runOfKey(ctx: ApiContext, idem: Idempotency): Promise<StartedRun | null> {
  const found = await ctx.catalog.runs.findIdempotencyKey(idem.key, IDEMPOTENCY_KEY_TTL_HOURS);
  if (!found) return null;
  if (found.scope !== idem.scope) {
    throw new ConflictError(`Idempotency-Key was already used for another request (${found.scope}); use a new key`);
  }
  return { runId: found.runId, workflowId: found.workflowId, replayed: true };
}

/** The Idempotency-Key header of a run-starting request, as its route scopes it. */
export function idempotencyOf(params: Record<string, unknown>, scope: string): Idempotency | undefined {
  const key = params['Idempotency-Key'];
  return typeof key === 'string' ? { key, scope } : undefined;
}

/**
 * Inserts the run row and starts its workflow in one transaction: the row commits only if
 * Temporal accepted the workflow, and the workflow upserts the same row, so neither order of
 * failure leaves a run without its workflow. Two runs of one job or repository in the same
 * second would share an id: the later one waits for the next second instead of failing.
 */
export async function startRun<I>(ctx: ApiContext, req: StartRunRequest<I>): Promise<StartedRun> {
  const idem = req.idempotency;
  if (idem) {
    const earlier = await runOfKey(ctx, idem);
    if (earlier) return earlier;
  }
  for (let attempt = 1; ; attempt++) {
    const workflowId = req.workflowIdAt(new Date());
    try {
      await ctx.catalog.transaction(async (tx) => {
        // The key first: a concurrent request with the same key waits here until this
        // transaction ends, then fails on the key and answers with this run.
        if (idem) await tx.runs.claimIdempotencyKey({ ...idem, runId: req.run.id, ttlHours: IDEMPOTENCY_KEY_TTL_HOURS });
        await tx.runs.insert({ ...req.run, workflowId });
        await startWorkflow(ctx.temporal, req.workflow, req.input, {
          taskQueue: SERVER_TASK_QUEUE,
          workflowId,
          // Filterable in the Web UI from the first moment; the workflow adds BackstopOutcome.
          typedSearchAttributes: runSearchAttributes({ kind: req.run.kind ?? 'backup', jobId: req.run.jobId, agentName: req.run.agentName, repositoryId: req.run.repositoryId }),
        });
      });
      ctx.logger.info({ runId: req.run.id, workflowId, kind: req.run.kind }, 'run started');
      return { runId: req.run.id, workflowId, replayed: false };
    } catch (err) {
      if (idem && (err as { constraint?: string }).constraint === KEY_TAKEN) {
        const earlier = await runOfKey(ctx, idem);
        if (earlier) return earlier;
        throw new ConflictError('Idempotency-Key is being used by another request: try again');
      }
      const taken = isUniqueViolation(err) || err instanceof WorkflowExecutionAlreadyStartedError;
      if (!taken) throw err;
      if (attempt >= ATTEMPTS) throw new ConflictError(`a run ${workflowId} already exists: try again`);
      await new Promise((r) => setTimeout(r, 1_005 - (Date.now() % 1_000)));
    }
  }
}
