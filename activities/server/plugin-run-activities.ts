// Server-side bookkeeping of plugin tests and database restores: their run rows.
import type { Catalog } from '../../catalog/catalog';
import type { Logger } from '../../core/logger';
import { withFailureMapping } from '../shared/failure';
import type { FinishPluginRunInput, PluginRunRef, PluginRunActivities } from '../../contract/plugin-activities';

export function createPluginRunActivities(deps: { catalog: Catalog; logger: Logger }): PluginRunActivities {
  async function startPluginRun(r: PluginRunRef): Promise<{ repository: { id: number; url: string } | null }> {
    await deps.catalog.runs.markRunning({ id: r.runId, kind: r.kind, workflowId: r.workflowId, agentName: r.agentName, repositoryId: r.repositoryId ?? null });
    if (!r.repositoryId) return { repository: null };
    const repo = await deps.catalog.repositories.get(r.repositoryId);
    return { repository: { id: repo.id, url: repo.url } };
  }

  async function finishPluginRun(r: FinishPluginRunInput): Promise<void> {
    await deps.catalog.runs.finish({ id: r.runId, status: r.status, snapshotId: r.snapshotId ?? null, stats: null, warnings: r.warnings, failureReason: r.failureReason, details: r.details });
    deps.logger.info({ notification: 'run-finished', runId: r.runId, status: r.status }, `plugin run ${r.runId}: ${r.status}`);
  }

  return withFailureMapping({ startPluginRun, finishPluginRun });
}

