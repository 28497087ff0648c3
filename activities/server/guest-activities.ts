// The server's bookkeeping of a guest backup (issue 19), run as local activities of
// workflows/guest-backup.ts: the plan — the job's guest and the snapshot the run counts
// from. Recording the snapshot, finishing and notifying are the file backup's own
// (backup-activities.ts). Safe to run twice.
import type { Catalog } from '../../catalog/catalog';
import { InputError } from '../../contract/errors';
import type { GuestBackupPlan, GuestParentRef, GuestRunDetails, GuestServerActivities } from '../../contract/guest-activities';
import { withFailureMapping } from '../shared/failure';
import { SILENT_NOTIFIER, type RunNotifier } from './notify/notifier';

export interface GuestServerDeps {
  catalog: Catalog;
  notifier?: RunNotifier;
}

/** The parent an earlier run's details give, or null when they carry no manifest (then a full read). */
export function parentFromDetails(last: { runId: string; snapshotId: string; details: Record<string, unknown> } | null): GuestParentRef | null {
  const manifest = (last?.details as Partial<GuestRunDetails> | undefined)?.guest?.manifest;
  if (!last || !manifest || manifest.version !== 1) return null;
  return { runId: last.runId, snapshotId: last.snapshotId, manifest };
}

export function createGuestServerActivities(deps: GuestServerDeps): GuestServerActivities {
  const { catalog } = deps;
  const notifier = deps.notifier ?? SILENT_NOTIFIER;

  async function prepareGuestBackup(input: { runId: string; jobId: number; workflowId: string }): Promise<GuestBackupPlan> {
    const job = await catalog.jobs.get(input.jobId);
    if (job.kind !== 'guest' || !job.guest) throw new InputError(`job ${job.id} is not a guest job`);
    const repository = await catalog.repositories.get(job.repositoryId);
    await catalog.runs.markRunning({ id: input.runId, kind: 'backup', jobId: job.id, workflowId: input.workflowId, repositoryId: repository.id, agentName: job.agentName });
    await notifier.runEvent(input.runId, 'run.started');
    return {
      jobId: job.id,
      jobName: job.name,
      agentName: job.agentName,
      repository: { id: repository.id, name: repository.name, url: repository.url },
      guest: job.guest,
      parent: parentFromDetails(await catalog.runs.lastGuestBackup(job.id)),
      postHook: job.postHook,
    };
  }

  return withFailureMapping({ prepareGuestBackup });
}
