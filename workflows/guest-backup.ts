// GuestBackupWorkflow: one backup run of a guest job (issue 19), durable across crashes of
// any process. The order:
//
//   1 prepare              prepareGuestBackup     server (local)  the plan: the job's guest, its parent snapshot
//   ── shared repository lock ──
//   2 freeze, read, store  backupGuestDisks       agent           one QMP transaction freezes every disk; the
//                                                                 bitmap's (or allocated) extents read, segments
//                                                                 stored against the parent; the view released
//   ── lock released; the rest never cancelled ──
//   3 record               recordSnapshot         server (local)
//   4 commit bitmaps       commitGuestBitmaps     agent           only after 3: this run's bitmaps become the base
//     or, without a snapshot: rollbackGuestView   agent           the view down, the bitmaps merged back
//   5 post hook, finish (details: per-disk mode and reason, bytes read, the manifest), notify
//
// Why the bitmaps wait for the record: a committed bitmap says "the next backup reads only
// what changed since this snapshot". Committed before the snapshot is in the catalog, a run
// that dies in between would leave the next one counting from a snapshot nobody knows, and it
// would read too little. Rolled back instead, nothing written since the parent is lost: the
// run's bitmap is merged into the parent's.
//
// Step 2 is safe to retry: a retried attempt (a killed agent, a lost heartbeat) takes over the
// view the earlier attempt froze (same instant) and forgets that attempt's snapshot, so a run
// stores exactly one. Steps 4 are safe to repeat.
import { proxyActivities, proxyLocalActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../contract/errors';
import { failureReason } from './failure-reason';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { AgentActivities, ServerActivities } from '../contract/backup-activities';
import type { LockActivities } from '../contract/repository-lock';
import type { GuestAgentActivities, GuestBackupPlan, GuestBackupStepResult, GuestRunDetails, GuestServerActivities, GuestViewInput } from '../contract/guest-activities';
import type { BackupWorkflowInput, BackupWorkflowResult } from '../contract/workflows';

// Bookkeeping on this worker, as the file backup's (workflows/backup.ts): local, idempotent.
const bookkeeping = proxyLocalActivities<ServerActivities & GuestServerActivities & Pick<LockActivities, 'requestRepositoryLock'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: [ErrorType.input, ErrorType.notFound] },
});

/** What a finished guest backup records in its run's details. */
export function guestRunDetails(result: GuestBackupStepResult, parentSnapshotId: string | null): GuestRunDetails {
  return {
    guest: {
      disks: result.manifest.disks.map((d) => ({ name: d.name, size: d.size, mode: d.mode, reason: d.reason, bytesRead: d.bytesRead })),
      bytesRead: result.bytesRead,
      parentSnapshotId,
      manifest: result.manifest,
    },
  };
}

export async function guestBackupWorkflow(started: BackupWorkflowInput): Promise<BackupWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  const { runId } = input;
  const { workflowId } = workflowInfo();
  // Whether step 2 was ever scheduled: only then may a view or this run's bitmaps exist.
  let touched = false;
  let lockReleased: Promise<void> = Promise.resolve();

  const run = await runEnvelope<GuestBackupPlan, GuestBackupStepResult>({
    where: (plan) => plan.agentName,

    prepare: async () => {
      const plan = await bookkeeping.prepareGuestBackup({ runId, jobId: input.jobId, workflowId });
      fillRunAttributes({ kind: 'backup', jobId: plan.jobId, agentName: plan.agentName, repositoryId: plan.repository.id });
      return plan;
    },

    body: async (plan, { step }) => {
      // Long, heartbeating, cancelled only once the engine stopped and the view was released.
      const guest = proxyActivities<GuestAgentActivities>(agentEngineOptions(plan.agentName, input));
      return withRepositoryLock(
        plan.repository.id,
        'shared',
        async () => {
          step('engine');
          touched = true;
          return guest.backupGuestDisks({ runId, workflowId, jobId: plan.jobId, repository: { id: plan.repository.id, url: plan.repository.url }, guest: plan.guest, parent: plan.parent });
        },
        { onWaiting: () => step('waiting-for-lock'), request: bookkeeping.requestRepositoryLock, deferRelease: (released) => (lockReleased = released) },
      );
    },

    finish: async (plan, { status, reason, result }, { step, warnings }) => {
      const agent = proxyActivities<GuestAgentActivities & AgentActivities>(agentStepOptions(plan.agentName, input));
      const view: GuestViewInput = { runId, jobId: plan.jobId, parentRunId: plan.parent?.runId ?? null, guest: plan.guest };
      const warn = (what: string) => (e: unknown) => {
        warnings.push(`${what} failed: ${failureReason(e, plan.agentName)}`);
        return null;
      };
      let finalStatus = status;
      if (result) {
        step('record');
        await bookkeeping.recordSnapshot({ runId, jobId: plan.jobId, repositoryId: plan.repository.id, snapshot: result.snapshot });
        step('guest-commit');
        const committed = await agent.commitGuestBitmaps(view).then(
          () => true,
          warn('committing the dirty bitmaps (the next backup reads the whole disk)'),
        );
        if (!committed && finalStatus === 'succeeded') finalStatus = 'warning';
      } else if (touched) {
        step('guest-rollback');
        await agent.rollbackGuestView(view).catch(warn('releasing the guest view and rolling the bitmaps back'));
      }
      await lockReleased;
      const success = finalStatus === 'succeeded' || finalStatus === 'warning';
      const snapshotId = result?.snapshot.id ?? null;
      if (plan.postHook) {
        step('post-hook');
        const hook = await agent.runPostHook({ command: plan.postHook, success, runId, jobId: plan.jobId, jobName: plan.jobName, snapshotId }).catch(warn('post hook'));
        if (hook && hook.exitCode !== 0) warnings.push(`post hook exited with code ${hook.exitCode}`);
      }
      if (warnings.length > 0 && finalStatus === 'succeeded') finalStatus = 'warning';
      const details = result ? (guestRunDetails(result, plan.parent?.snapshotId ?? null) as unknown as Record<string, unknown>) : undefined;
      await bookkeeping.finishRun({ runId, status: finalStatus, snapshotId, stats: result?.stats ?? null, warnings, failureReason: reason, ...(details ? { details } : {}) });
      await bookkeeping.notify({ runId, jobName: plan.jobName, status: finalStatus, snapshotId, failureReason: reason, warnings: warnings.length });
      return finalStatus;
    },
  });

  const result = run.result;
  return { status: run.status, snapshotId: result?.snapshot.id ?? null, stats: result?.stats ?? null, warnings: run.warnings, failureReason: run.reason };
}
