// Server activities for the repository lock: start-or-signal the lock workflow (workflows
// cannot signalWithStart), and tell which holders' executions have closed.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from '../../core/logger';
import { LockSignal, SERVER_TASK_QUEUE, repositoryLockWorkflowId } from '../../contract/names';
import type { HolderRef, LockActivities, LockRequest, RepositoryLockInput } from '../../contract/repository-lock';
import { withFailureMapping } from '../shared/failure';
import { Workflows, type WorkflowFunction } from '../../contract/workflows';

export interface LockDeps {
  client: Client;
  logger: Logger;
  /**
   * Timings of the lock workflows this worker starts; the workflow's defaults otherwise.
   * Workflow tests set them so the lock's own timers never coincide with theirs (see
   * test/workflow/support/time-skipping.ts).
   */
  lockTimings?: Pick<RepositoryLockInput, 'checkHoldersEveryMs' | 'idleExitMs'>;
}

export function createLockActivities(deps: LockDeps): LockActivities {
  const { client } = deps;

  /** Queues a lock request, starting the repository's lock workflow if it is not running. */
  async function requestRepositoryLock(input: LockRequest & { repositoryId: number }): Promise<void> {
    const { repositoryId, ...request } = input;
    const args: [RepositoryLockInput] = [{ repositoryId, ...deps.lockTimings }];
    await client.workflow.signalWithStart<WorkflowFunction<typeof Workflows.repositoryLock>, [LockRequest]>(Workflows.repositoryLock.type, {
      workflowId: repositoryLockWorkflowId(repositoryId),
      taskQueue: SERVER_TASK_QUEUE,
      args,
      signal: LockSignal.acquire,
      signalArgs: [request],
    });
  }

  /** The runs among `workflows` that are no longer running (or were never found). */
  async function findClosedWorkflows(input: { workflows: HolderRef[] }): Promise<HolderRef[]> {
    const closed: HolderRef[] = [];
    for (const w of input.workflows) {
      try {
        const d = await client.workflow.getHandle(w.workflowId, w.runId).describe();
        if (d.status.name !== 'RUNNING') closed.push(w);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) closed.push(w);
        else throw err;
      }
    }
    if (closed.length > 0) deps.logger.warn({ closed }, 'repository lock holders closed without releasing');
    return closed;
  }

  return withFailureMapping({ requestRepositoryLock, findClosedWorkflows });
}
