// Guest restores (issue 19): a guest snapshot's disk into an image file or over a block
// device, or the whole guest into a new directory, on an agent. A run of kind `restore`,
// approved or rejected through the same endpoints as file restores.
import { Workflows, type GuestRestoreWorkflowInput } from '../../contract/workflows';
import { InputError } from '../../contract/errors';
import { WorkflowKind, workflowIdFor } from '../../contract/names';
import { idempotencyOf, startRun } from '../start-run';
import { handler } from '../context';
import { findSnapshot } from './restore';

const fieldError = (path: string, message: string) => new InputError(`${path.slice(1)}: ${message}`, { errors: [{ path, message }] });

export const restoreGuestSnapshot = handler('restoreGuestSnapshot', async (ctx, { params, body: b }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  // A deleted job's snapshots stay restorable, as a files job's do.
  const job = snapshot.jobId !== null ? await ctx.catalog.jobs.getIncludingDeleted(snapshot.jobId) : null;
  if (!job || job.kind !== 'guest' || !job.guest) throw new InputError(`snapshot ${snapshot.id} is not a guest job's backup: restore it with POST /v1/snapshots/${snapshot.id}/restore`);
  // A guest snapshot holds one path, the agent's stage: its manifest.json is at its root.
  if (snapshot.paths.length !== 1) throw new InputError(`snapshot ${snapshot.id} has ${snapshot.paths.length} paths, not a guest backup's one stage directory`);
  const disks = job.guest.disks.map((d) => d.name);
  if (b.disk !== undefined && !disks.includes(b.disk)) throw fieldError('/disk', `the guest has no disk ${b.disk} (it has ${disks.join(', ')})`);
  const agentName = b.agent ?? job.agentName;
  if (!(await ctx.catalog.agents.findByName(agentName))) throw fieldError('/agent', `unknown agent "${agentName}": agents register themselves when they start`);

  const maxTimeout = ctx.approvalTimeoutMs;
  const input = (runId: string): GuestRestoreWorkflowInput => ({
    runId,
    snapshot: { id: snapshot.id, repositoryId: snapshot.repositoryId, jobId: snapshot.jobId, paths: snapshot.paths },
    agentName,
    disk: b.disk ?? null,
    target: b.target,
    requireApproval: b.requireApproval ?? false,
    approvalMode: ctx.restoreApproval,
    approvalTimeoutMs: Math.min(b.approvalTimeoutMs ?? maxTimeout, maxTimeout),
    agentScheduleToStartMs: ctx.agentScheduleToStartMs,
    engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs,
  });
  // engineSite agent: the target agent fetches the repository password while the run is active.
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `restoreGuestSnapshot:${snapshot.id}`),
    run: { kind: 'restore', jobId: snapshot.jobId, repositoryId: snapshot.repositoryId, agentName, engineSite: 'agent' },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.restore, job.id, at),
    workflow: Workflows.guestRestore,
    input,
  });
  if (!started.replayed) ctx.logger.info({ snapshotId: snapshot.id, runId: started.runId, workflowId: started.workflowId, agentName, disk: b.disk ?? null }, 'guest restore run started');
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
