// What a running run shows of itself, shared by every run workflow:
//  - the progress query (RUN_PROGRESS_QUERY): the current step and when it started.
//    Query handlers add nothing to history, so they replay as before;
//  - search attributes: filled in when the run was started without them (a scheduled run,
//    a child sync) and BackstopOutcome upserted at the end. Upserts are commands, so they
//    are guarded by a patch: runs recorded before this change replay without them.
import { defineQuery, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { RUN_PROGRESS_QUERY } from '../contract/names';
import type { RunStatus } from '../contract/model';
import type { RunStep } from '../contract/run-log';
import { SearchAttributeKeys, runSearchAttributes, type RunAttributes } from '../contract/search-attributes';
import type { RunProgressState } from '../contract/workflows';

export const runProgressQuery = defineQuery<RunProgressState>(RUN_PROGRESS_QUERY);

export const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';

/** Answers the progress query from now on; returns the function that moves to the next step. */
export function trackRunProgress(first: RunStep): (step: RunStep) => void {
  let state: RunProgressState = { step: first, since: new Date().toISOString(), done: [] };
  setHandler(runProgressQuery, () => state);
  return (step) => {
    if (step === state.step) return;
    state = { step, since: new Date().toISOString(), done: [...state.done, state.step] };
  };
}

/** Sets the attributes the run was started without (a run started by the API has them all). */
export function fillRunAttributes(known: RunAttributes): void {
  if (!patched(SEARCH_ATTRIBUTES_PATCH)) return;
  const present = workflowInfo().typedSearchAttributes;
  const missing: SearchAttributeUpdatePair[] = runSearchAttributes(known).filter((p) => present.get(p.key) === undefined);
  if (missing.length > 0) upsertSearchAttributes(missing);
}

/** BackstopOutcome: succeeded, warning, failed or cancelled. */
export function recordOutcome(status: RunStatus): void {
  if (!patched(SEARCH_ATTRIBUTES_PATCH)) return;
  upsertSearchAttributes([{ key: SearchAttributeKeys.outcome, value: status }]);
}
