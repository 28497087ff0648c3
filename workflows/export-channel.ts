// The export loop shared by pull backups and server-side restores: the agent opens an
// export, the server worker's engine step uses it. A lost export (its agent restarted, its
// connection broke) is not the engine step's to retry — the agent must export again first —
// so the step fails with ExportLostError and this loop opens the export anew, a few times.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import type { ExportEndpoint, PullActivities } from '../contract/pull';
import type { AgentStepTimeouts } from '../contract/workflows';
import { engineOptions } from './agent-options';

/** How often a broken export is opened again before the run fails. */
export const EXPORT_ATTEMPTS = 4;

/** The server worker's engine steps on an export: long, heartbeating, never retried on a lost export. */
export function serverEngineOnExport(t: AgentStepTimeouts): PullActivities {
  const engine = engineOptions(SERVER_TASK_QUEUE, t);
  return proxyActivities<PullActivities>({ ...engine, retry: { ...engine.retry, nonRetryableErrorTypes: [ErrorType.exportLost] } });
}

/** Opens the export and runs `use` on it; opens it again when `use` reports it lost. */
export async function throughExport<T>(step: (s: 'export' | 'engine') => void, open: () => Promise<ExportEndpoint>, use: (endpoint: ExportEndpoint) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    step('export');
    const endpoint = await open();
    step('engine');
    try {
      return await use(endpoint);
    } catch (err) {
      if (attempt >= EXPORT_ATTEMPTS || !isExportLost(err)) throw err;
    }
  }
}

function isExportLost(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === ErrorType.exportLost;
}
