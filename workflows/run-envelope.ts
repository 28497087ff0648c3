// The run envelope: what every run workflow (backup, restore, prune, S3 sync, database
// restore, plugin test) does around its own steps, written once.
//
//   prepare (not cancellable) ─▶ body ─▶ status and failure reason
//           ─▶ finish (not cancellable: cleanup, record, notify) ─▶ 'finished' ─▶ BackstopOutcome ─▶ rethrow
//
// - prepare: a run cancelled while queued still gets its plan, so finish records it as
//   cancelled instead of leaving its row queued. A failed prepare fails the workflow
//   unrecorded: there is no plan to record against. Workflows whose first step may fail
//   as a recorded run (a refused S3 target, say) take it in the body instead.
// - body: the run's own steps. A failure or cancellation here is caught, never lost.
// - finish: runs whatever happened in the body, in a non-cancellable scope, so a cancelled
//   or failed run still releases what it holds, runs its post hooks and records itself.
//   It may turn the status into another (a success with cleanup warnings into `warning`).
// - then the run's outcome is upserted (search attribute), and the body's error, if any,
//   rethrown: the run record is written, now Temporal shows the run as failed too.
//
// The envelope itself issues no command of its own beyond its callbacks' (the outcome
// upsert is recordOutcome's, as before): workflows moved into it replay their histories.
import { CancellationScope } from '@temporalio/workflow';
import type { RunStatus } from '../contract/model';
import type { RunStep } from '../contract/run-log';
import { failureReason, isCancelled } from './failure-reason';
import { recordOutcome, trackRunProgress } from './run-visibility';

/** What the envelope hands to each part of a run. */
export interface RunContext {
  /** Moves the progress query (RUN_PROGRESS_QUERY) to the next step. */
  step(step: RunStep): void;
  /** Warnings of the run, body and cleanup alike, in the order they arose. */
  warnings: string[];
}

/** How the body ended. */
export interface RunOutcome<R> {
  status: RunStatus;
  /** For the run record: null on success, 'cancelled', the error in words, or the judge's. */
  reason: string | null;
  /** What the body threw (undefined when it returned). */
  error: unknown;
  /** What the body returned (undefined when it threw). */
  result: R | undefined;
}

export interface RunSpec<P, R> {
  /** Names where a failed step ran, for failure reasons: 'server', or the agent's name. */
  where: string | ((plan: P) => string);
  /** Not cancellable, before the body; without it the plan is undefined. */
  prepare?: (run: RunContext) => Promise<P>;
  body: (plan: P, run: RunContext) => Promise<R>;
  /** The status of a body that returned (default: succeeded), with a reason if it says failed. */
  judge?: (result: R, run: RunContext) => RunStatus | { status: RunStatus; reason: string | null };
  /**
   * A cancelled run's reason: 'cancelled' (default), or the cancellation in words as the
   * failure reason of any other error ('error'; plugin runs record it so).
   */
  cancelledReason?: 'cancelled' | 'error';
  /** Cleanup, record and notify; not cancellable. May return the status the run ends with. */
  finish: (plan: P, outcome: RunOutcome<R>, run: RunContext) => Promise<RunStatus | void>;
  /** Throw the body's error once the run is recorded (default true). */
  rethrow?: boolean;
}

export interface FinishedRun<P, R> extends RunOutcome<R> {
  plan: P;
  warnings: string[];
}

export async function runEnvelope<P, R>(spec: RunSpec<P, R>): Promise<FinishedRun<P, R>> {
  const run: RunContext = { step: trackRunProgress('preparing'), warnings: [] };
  const prepare = spec.prepare;
  const plan = prepare ? await CancellationScope.nonCancellable(() => prepare(run)) : (undefined as P);
  const where = typeof spec.where === 'string' ? spec.where : spec.where(plan);

  let outcome: RunOutcome<R>;
  try {
    const result = await spec.body(plan, run);
    const judged = spec.judge ? spec.judge(result, run) : 'succeeded';
    outcome = typeof judged === 'string' ? { status: judged, reason: null, error: undefined, result } : { ...judged, error: undefined, result };
  } catch (error) {
    const cancelled = isCancelled(error);
    const reason = cancelled && spec.cancelledReason !== 'error' ? 'cancelled' : failureReason(error, where);
    outcome = { status: cancelled ? 'cancelled' : 'failed', reason, error, result: undefined };
  }

  const finished = outcome;
  const status = (await CancellationScope.nonCancellable(() => spec.finish(plan, finished, run))) ?? outcome.status;
  run.step('finished');
  recordOutcome(status);
  if (outcome.error !== undefined && spec.rethrow !== false) throw outcome.error;
  return { ...outcome, status, plan, warnings: run.warnings };
}
