// Container restores (issue 19 item 3): a container snapshot's root filesystem, as a tree or
// as a tar, and its configuration into a new directory on an agent. A run of kind `restore`.
import { Workflows, type ContainerRestoreWorkflowInput } from '../../contract/workflows';
import { InputError } from '../../contract/errors';
import { WorkflowKind, workflowIdFor } from '../../contract/names';
import { containerDetailsOf } from '../../contract/container';
import { idempotencyOf, startRun } from '../start-run';
import { handler } from '../context';
import { findSnapshot } from './restore';

const fieldError = (path: string, message: string) => new InputError(`${path.slice(1)}: ${message}`, { errors: [{ path, message }] });

export const restoreContainerSnapshot = handler('restoreContainerSnapshot', async (ctx, { params, body: b }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  const job = snapshot.jobId !== null ? await ctx.catalog.jobs.get(snapshot.jobId) : null;
  if (!job || job.kind !== 'container') throw new InputError(`snapshot ${snapshot.id} is not a container job's backup: restore it with POST /v1/snapshots/${snapshot.id}/restore`);
  // What the run stored (its root filesystem and configuration files, found by the agent at run time) is in its details.
  const container = containerDetailsOf(await ctx.catalog.runs.backupDetailsOfSnapshot(snapshot.id));
  if (!container) throw new InputError(`snapshot ${snapshot.id}: the catalog has no record of the container backup that made it (a catalog rebuilt from the repository does not): restore its paths with POST /v1/snapshots/${snapshot.id}/restore`);
  const agentName = b.agent ?? job.agentName;
  if (!(await ctx.catalog.agents.findByName(agentName))) throw fieldError('/agent', `unknown agent "${agentName}": agents register themselves when they start`);

  const input = (runId: string): ContainerRestoreWorkflowInput => ({
    runId,
    snapshot: { id: snapshot.id, repositoryId: snapshot.repositoryId, jobId: snapshot.jobId },
    container,
    agentName,
    target: b.target,
    format: b.format,
    agentScheduleToStartMs: ctx.agentScheduleToStartMs,
    engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs,
  });
  // engineSite agent: the target agent fetches the repository password while the run is active.
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `restoreContainerSnapshot:${snapshot.id}`),
    run: { kind: 'restore', jobId: snapshot.jobId, repositoryId: snapshot.repositoryId, agentName, engineSite: 'agent' },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.restore, job.id, at),
    workflow: Workflows.containerRestore,
    input,
  });
  if (!started.replayed) ctx.logger.info({ snapshotId: snapshot.id, runId: started.runId, workflowId: started.workflowId, agentName, format: b.format }, 'container restore run started');
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
