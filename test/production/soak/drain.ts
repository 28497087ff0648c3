// The end of the load: schedules paused (through the API, as an operator would), then a wait
// until the system itself says nothing is left to do: Temporal has no backup workflow open and
// the catalog lists no run that has not ended. Both, twice in a row some seconds apart, because
// a buffer-one schedule may still start the run it held once the one before it ends.
import { Workflows } from '../../../contract/workflows';
import { retrying } from './api-retry';
import { ENDED_STATUSES } from './run-outcomes';
import type { ApiRun } from '../../../core/api-client';
import type { Topology } from '../support/topology';
import type { SoakJob } from './soak-jobs';

const API_DEADLINE_MS = 5 * 60_000;

export async function pauseSchedules(t: Topology, jobs: readonly SoakJob[]): Promise<void> {
  for (const job of jobs) {
    await retrying(`pausing the schedule of ${job.name}`, () => t.api.setJobSchedulePaused(job.id, true, 'crash soak over'), API_DEADLINE_MS);
  }
}

/** Every backup run the catalog lists, through the API's pages. */
export async function allBackupRuns(t: Topology): Promise<ApiRun[]> {
  const runs: ApiRun[] = [];
  let cursor: string | undefined;
  do {
    const page = await retrying('listing runs', () => t.api.listRunsPage({ kind: 'backup', limit: 500, ...(cursor ? { cursor } : {}) }), API_DEADLINE_MS);
    runs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return runs;
}

export interface TemporalWorkflow {
  workflowId: string;
  status: string;
}

/** Backup workflows Temporal knows of (its visibility store), optionally only the open ones. */
export async function backupWorkflows(t: Topology, openOnly: boolean): Promise<TemporalWorkflow[]> {
  const query = `WorkflowType = '${Workflows.backup.type}'${openOnly ? ` AND ExecutionStatus = 'Running'` : ''}`;
  return retrying(
    'listing backup workflows',
    async () => {
      const out: TemporalWorkflow[] = [];
      for await (const w of t.temporalClient.workflow.list({ query })) out.push({ workflowId: w.workflowId, status: w.status.name });
      return out;
    },
    API_DEADLINE_MS,
    undefined,
    // The client reports a Temporal server that is (re)starting with errors of its own: all
    // are worth another try here; a query Temporal cannot read would fail every time, until the deadline.
    () => true,
  );
}

export interface DrainProgress {
  openWorkflows: number;
  unfinishedRuns: number;
}

/**
 * Waits until no backup workflow is open and every catalog run has ended, seen twice in a row;
 * true when it got there, false when `timeoutMs` passed first. `report` hears the counts now and then.
 */
export async function waitUntilDrained(t: Topology, timeoutMs: number, report: (p: DrainProgress) => void): Promise<boolean> {
  const ended = new Set<string>(ENDED_STATUSES);
  const deadline = Date.now() + timeoutMs;
  let quietBefore = false;
  let lastReport = 0;
  for (;;) {
    let progress: DrainProgress | null = null;
    try {
      const open = await backupWorkflows(t, true);
      const unfinished = (await allBackupRuns(t)).filter((r) => !ended.has(r.status));
      progress = { openWorkflows: open.length, unfinishedRuns: unfinished.length };
    } catch {
      // A component that exited on its own is being started again by the supervisor: ask again.
    }
    const quiet = progress !== null && progress.openWorkflows === 0 && progress.unfinishedRuns === 0;
    if (quiet && quietBefore) return true;
    quietBefore = quiet;
    if (progress && Date.now() - lastReport > 30_000) {
      report(progress);
      lastReport = Date.now();
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 3_000));
  }
}
