// The approval gate both restore workflows share (files: restore.ts, guest disks:
// guest-restore.ts): the approve/reject signals, the first decision winning (later signals
// are no-ops; the API answers 409 once the run has left awaiting-approval), and the wait
// with its timeout. Only a condition and its timer: no activity, so the histories of both
// workflows are what they were before this lived here.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import { RestoreSignal } from '../contract/names';
import type { ApprovalDecision, ApprovalInput } from '../contract/workflows';

export const approveSignal = defineSignal<[ApprovalInput]>(RestoreSignal.approve);
export const rejectSignal = defineSignal<[ApprovalInput]>(RestoreSignal.reject);

export interface ApprovalGate {
  /** The decision so far (null while none came); kept in the workflow's result. */
  readonly decision: ApprovalDecision | null;
  /** Waits for a decision or the timeout; resolves to why the restore must not go on, or null when approved. */
  wait(timeoutMs: number): Promise<string | null>;
}

/** Call at the workflow's start: signals sent before the wait are kept. */
export function approvalGate(): ApprovalGate {
  let approval: ApprovalDecision | null = null;
  const decide = (decision: 'approved' | 'rejected') => (s: ApprovalInput) => {
    if (approval === null) approval = { decision, by: s.by, note: s.note ?? null, at: new Date().toISOString() };
  };
  setHandler(approveSignal, decide('approved'));
  setHandler(rejectSignal, decide('rejected'));
  return {
    get decision() {
      return approval;
    },
    async wait(timeoutMs) {
      const decided = await condition(() => approval !== null, timeoutMs);
      if (!decided) approval = { decision: 'timed-out', by: null, note: null, at: new Date().toISOString() };
      const a = approval!;
      if (a.decision === 'rejected') return `restore rejected by ${a.by}${a.note ? `: ${a.note}` : ''}`;
      if (a.decision === 'timed-out') return `approval timed out after ${formatDuration(timeoutMs)}`;
      return null;
    },
  };
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
