// Starting a run: the catalog row and the Temporal workflow appear together or not at all,
// under a workflow id that no earlier run has, and one Idempotency-Key never starts two
// runs — not even when the API dies halfway and the client sends the request again to
// another API process. Every kind of run starts through here.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { isUniqueViolation } from '../catalog/rows';
import { ConflictError } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { runSearchAttributes } from '../contract/search-attributes';
import type { IdempotencyReservation, NewRun } from '../catalog/runs';
import type { ApiContext } from './context';
import type { WorkflowRef } from '../contract/workflows';
import { startWorkflow } from '../core/start-workflow';

const KEY_TAKEN = 'run_idempotency_keys_pkey';
const ATTEMPTS = 3;
/** How long an Idempotency-Key answers with its run; after that it may start a new one. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
/** The memo field naming the run a workflow was started for: how a resend tells its own workflow from another's. */
export const RUN_ID_MEMO = 'backstopRunId';

/** An Idempotency-Key and what it is for (`runJob:4`): one key never starts two runs. */
export interface Idempotency {
  key: string;
  scope: string;
}

export interface StartRunRequest<I> {
  run: Omit<NewRun, 'id' | 'workflowId'>;
  /** Workflow ids carry the start time to the second (`<kind>/<scope>/<time>`). */
  workflowIdAt: (at: Date) => string;
  /** The workflow (by its contract reference) and its input: the compiler checks they agree. */
  workflow: WorkflowRef<string, I, unknown>;
  /** The workflow's input for the run id startRun gives the run (a resend gets the first request's). */
  input: (runId: string) => NoInfer<I>;
  /** From the request's Idempotency-Key header, if it had one. */
  idempotency?: Idempotency;
}

export interface StartedRun {
  runId: string;
  workflowId: string;
  /** True when the Idempotency-Key had been sent before: this request started nothing of its own. */
  replayed: boolean;
}

/** The Idempotency-Key header of a run-starting request, as its route scopes it. */
export function idempotencyOf(params: Record<string, unknown>, scope: string): Idempotency | undefined {
  const key = params['Idempotency-Key'];
  return typeof key === 'string' ? { key, scope } : undefined;
}

/** The memo a run's workflow starts with. */
export function runMemo(runId: string): Record<string, string> {
  return { [RUN_ID_MEMO]: runId };
}

function sameScope(found: { scope: string }, idem: Idempotency): void {
  if (found.scope !== idem.scope) {
    throw new ConflictError(`Idempotency-Key was already used for another request (${found.scope}); use a new key`);
  }
}

/**
 * With an Idempotency-Key, the key is committed first, naming the run id and workflow id it
 * will start; only then does the run start. A resend finds the key and either answers with
 * the recorded run or finishes starting it — under the same ids, so a workflow the dead
 * request had already started is adopted (its memo names the run), never started twice.
 */
export async function startRun<I>(ctx: ApiContext, req: StartRunRequest<I>): Promise<StartedRun> {
  const idem = req.idempotency;
  if (!idem) return launch(ctx, req, { runId: randomUUID(), workflowId: req.workflowIdAt(new Date()) });
  for (let attempt = 1; ; attempt++) {
    const found = await ctx.catalog.runs.findIdempotencyKey(idem.key, IDEMPOTENCY_KEY_TTL_HOURS);
    if (found) {
      sameScope(found, idem);
      if (found.recorded) return { runId: found.runId, workflowId: found.workflowId, replayed: true };
      // An earlier request with this key did not finish starting its run (its API died, or
      // it is still at it): finish it, under its ids.
      return { ...(await launch(ctx, req, found, idem)), replayed: true };
    }
    const reservation: IdempotencyReservation = { ...idem, runId: randomUUID(), workflowId: req.workflowIdAt(new Date()) };
    try {
      await ctx.catalog.runs.reserveIdempotencyKey({ ...reservation, ttlHours: IDEMPOTENCY_KEY_TTL_HOURS });
    } catch (err) {
      // A concurrent request reserved it a moment ago: read what it reserved.
      if ((err as { constraint?: string }).constraint === KEY_TAKEN && attempt < ATTEMPTS) continue;
      throw err;
    }
    return launch(ctx, req, reservation, idem);
  }
}

type Launched = Omit<StartedRun, 'replayed'>;

/**
 * Inserts the run row and starts its workflow in one transaction: the row commits only if
 * Temporal accepted the workflow, and the workflow upserts the same row, so neither order of
 * failure leaves a run without its workflow. Two runs of one job or repository in the same
 * second would share an id: the later one waits for the next second instead of failing.
 */
async function launch<I>(ctx: ApiContext, req: StartRunRequest<I>, ids: { runId: string; workflowId: string }, idem?: Idempotency): Promise<StartedRun> {
  const { runId } = ids;
  let workflowId = ids.workflowId;
  for (let attempt = 1; ; attempt++) {
    try {
      const launched = await ctx.catalog.transaction(async (tx): Promise<Launched & { adopted: boolean }> => {
        if (idem) {
          // Held until commit: a concurrent resend of the key waits here, then sees the run recorded.
          const held = await tx.runs.findIdempotencyKey(idem.key, IDEMPOTENCY_KEY_TTL_HOURS, { lock: true });
          if (!held || held.runId !== runId) throw new ConflictError('Idempotency-Key expired while its run was starting: send the request again');
          if (held.recorded) return { runId, workflowId: held.workflowId, adopted: true };
          if (held.workflowId !== workflowId) await tx.runs.moveIdempotencyKey(idem.key, workflowId);
        }
        await tx.runs.insert({ ...req.run, id: runId, workflowId });
        try {
          await startWorkflow(ctx.temporal, req.workflow, req.input(runId), {
            taskQueue: SERVER_TASK_QUEUE,
            workflowId,
            // A closed workflow under this id is never run again: its run is over.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            memo: runMemo(runId),
            // Filterable in the Web UI from the first moment; the workflow adds BackstopOutcome.
            typedSearchAttributes: runSearchAttributes({ kind: req.run.kind ?? 'backup', jobId: req.run.jobId, agentName: req.run.agentName, repositoryId: req.run.repositoryId }),
          });
          return { runId, workflowId, adopted: false };
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          const existing = await ctx.temporal.workflow.getHandle(workflowId).describe();
          // Another run's workflow has the id: a collision, retried under the next second's id.
          if (existing.memo?.[RUN_ID_MEMO] !== runId) throw err;
          // This run's own, started by a request that died before committing: adopt it. One
          // that already ended without recording its run will never record it now.
          if (existing.status.name !== 'RUNNING') {
            await tx.runs.failUnstarted(runId, `the run's workflow ended (${existing.status.name.toLowerCase()}) before it recorded the run`);
          }
          return { runId, workflowId, adopted: true };
        }
      });
      const event = launched.adopted ? 'run start completed for a resent Idempotency-Key' : 'run started';
      ctx.logger.info({ runId, workflowId: launched.workflowId, kind: req.run.kind }, event);
      return { runId, workflowId: launched.workflowId, replayed: false };
    } catch (err) {
      const taken = isUniqueViolation(err) || err instanceof WorkflowExecutionAlreadyStartedError;
      if (!taken) throw err;
      if (attempt >= ATTEMPTS) throw new ConflictError(`a run ${workflowId} already exists: try again`);
      await new Promise((r) => setTimeout(r, 1_005 - (Date.now() % 1_000)));
      workflowId = req.workflowIdAt(new Date());
    }
  }
}
