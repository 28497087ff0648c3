// Restore activities on the server worker (task queue backstop.server): the run row's
// state changes and the notification. Every one is safe to run twice.
import type { RunStatus } from '../../contract/model';
import type { Logger } from '../../core/logger';
import type { Catalog } from '../../catalog/catalog';
import { withFailureMapping } from '../shared/failure';
import type { FinishRestoreInput, RestoreRunRef, RestoreServerActivities } from '../../contract/restore-activities';
import { SILENT_NOTIFIER, type RunNotifier } from './notify/notifier';

export interface RestoreServerDeps {
  catalog: Catalog;
  logger: Logger;
  /** Raises run events (started, ended, awaiting approval) to the notification rules; none sends nothing. */
  notifier?: RunNotifier;
}

export function createRestoreServerActivities(deps: RestoreServerDeps): RestoreServerActivities {
  const { catalog, logger } = deps;
  const notifier = deps.notifier ?? SILENT_NOTIFIER;
  const newRun = (r: RestoreRunRef) => ({ id: r.runId, kind: 'restore' as const, jobId: r.jobId, workflowId: r.workflowId, repositoryId: r.repositoryId, agentName: r.agentName, engineSite: r.engineSite ?? 'agent' });

  /** Marks the run running and returns where the repository is (never its password). */
  async function startRestoreRun(input: RestoreRunRef): Promise<{ repository: { id: number; name: string; url: string } }> {
    const repository = await catalog.repositories.get(input.repositoryId);
    await catalog.runs.markRunning(newRun(input));
    await notifier.runEvent(input.runId, 'run.started');
    return { repository: { id: repository.id, name: repository.name, url: repository.url } };
  }

  async function markRestoreAwaitingApproval(input: RestoreRunRef): Promise<void> {
    await catalog.runs.markAwaitingApproval(newRun(input));
    await notifier.runEvent(input.runId, 'restore.awaiting_approval');
  }

  async function markRestoreRunning(input: RestoreRunRef): Promise<void> {
    await catalog.runs.markRunning(newRun(input));
  }

  async function finishRestoreRun(input: FinishRestoreInput): Promise<void> {
    await catalog.runs.finish({
      id: input.runId,
      status: input.status,
      snapshotId: input.snapshotId,
      stats: null,
      warnings: input.warnings,
      failureReason: input.failureReason,
      details: input.details,
    });
  }

  /** The log channel, as for backups: one structured line per finished restore. */
  async function notifyRestore(input: { runId: string; snapshotId: string; agentName: string; status: RunStatus; failureReason: string | null }): Promise<void> {
    const level = input.status === 'failed' ? 'error' : input.status === 'warning' ? 'warn' : 'info';
    logger[level]({ notification: 'run-finished', kind: 'restore', ...input }, `restore of ${input.snapshotId.slice(0, 8)} to ${input.agentName}: ${input.status}`);
    await notifier.runEnded(input.runId);
  }

  return withFailureMapping({ startRestoreRun, markRestoreAwaitingApproval, markRestoreRunning, finishRestoreRun, notifyRestore });
}

