// Repository check: start a check run (restic check, borg check) of a repository.
import { requireCapability } from '../../contract/engine-capabilities';
import { Workflows } from '../../contract/workflows';
import { WorkflowKind, workflowIdForRepository } from '../../contract/names';
import { idempotencyOf, startRun } from '../start-run';
import { handler } from '../context';

export const checkRepository = handler('checkRepository', async (ctx, { params }) => {
  const repository = await ctx.catalog.repositories.get(params.id);
  // PBS: 400 naming the reason, before any run exists.
  requireCapability(repository.engine, 'check');
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `checkRepository:${repository.id}`),
    run: { kind: 'check', jobId: null, repositoryId: repository.id },
    workflowIdAt: (at) => workflowIdForRepository(WorkflowKind.check, repository.id, at),
    workflow: Workflows.check,
    input: (runId) => ({ runId, repositoryId: repository.id }),
  });
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
