// Restores: start one from a snapshot, and approve or reject one waiting for an operator.
import type { RestoreApprovalMode } from '../../core/config';
import { Workflows, type RestoreVia, type RestoreWorkflowInput } from '../../contract/workflows';
import type { Job, Snapshot } from '../../contract/model';
import { ConflictError, InputError, NotFoundError } from '../../contract/errors';
import { RestoreSignal, WorkflowKind, workflowIdFor } from '../../contract/names';
import { idempotencyOf, startRun } from '../start-run';
import { archivePaths, convergesOnRerun } from '../../activities/server/pull/server-restore';
import { absoluteSegments, checkIncludes } from '../../activities/shared/restore-target';
import type { RestoreOverwrite } from '../../contract/engine';
import { handler, type ApiContext, type HandlerInput, type ResultOf } from '../context';
import type { components } from '../../contract/generated/api-schema';
import type { ApprovalInput } from '../../contract/workflows';


/** A snapshot by its full id or a unique prefix of at least 8 hex characters. */
export async function findSnapshot(ctx: ApiContext, idOrPrefix: string): Promise<Snapshot> {
  const found = await ctx.catalog.snapshots.findByIdPrefix(idOrPrefix.toLowerCase());
  if (found.length === 0) throw new NotFoundError(`snapshot ${idOrPrefix} not found`);
  if (found.length > 1) throw new ConflictError(`snapshot id prefix ${idOrPrefix} is ambiguous: give more characters`);
  return found[0]!;
}

export type RestoreRequest = components['schemas']['RestoreRequest'];

/**
 * Whether a restore waits for an operator: `destructive` (the default) holds back in-place
 * restores that overwrite whatever is there (`always`); a request may always ask for it.
 */
export function needsApproval(mode: RestoreApprovalMode, req: Pick<RestoreRequest, 'target' | 'overwrite' | 'requireApproval'>): boolean {
  if (req.requireApproval) return true;
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return req.target !== undefined && req.overwrite === 'always';
}

/** The request's overwrite policy as the engine's: none for a new directory, `never` for an explicit target unless given. */
export function overwriteFor(req: Pick<RestoreRequest, 'target' | 'overwrite'>): RestoreOverwrite | null {
  if (req.target === undefined) {
    if (req.overwrite !== undefined) throw new InputError('overwrite applies to a restore into an explicit target only (the default target is a new directory)');
    return null;
  }
  return req.overwrite ?? 'never';
}

/**
 * Where the engine runs. Unless asked, on the server when the target agent is one that may
 * not hold the repository's password (pull mode keeps it off that agent), else on the agent.
 * A server restore takes only the policies a plain re-run converges with.
 */
export async function restoreVia(ctx: ApiContext, req: Pick<RestoreRequest, 'via' | 'include'>, snapshot: Snapshot, job: Job | null, agentName: string, overwrite: RestoreOverwrite | null): Promise<RestoreVia> {
  let via = req.via;
  if (via === undefined) {
    via = job?.mode === 'pull' || (await ctx.catalog.repositories.agentUse(agentName, snapshot.repositoryId)) === 'pull-only' ? 'server' : 'agent';
  }
  if (via === 'server' && !convergesOnRerun(overwrite)) {
    throw new InputError(
      `overwrite ${overwrite} needs via "agent" (the engine on the target agent, which then holds the repository password for the run); ` +
        `a server restore${req.via === undefined ? ' (the default here: this agent may not hold the password)' : ''} writes into a new directory (no target) or with overwrite "always"`,
    );
  }
  // restic dump takes a path, not a pattern: a server restore's includes are absolute paths.
  if (via === 'server') archivePaths(req.include ?? []);
  return via;
}

export const restoreSnapshot = handler('restoreSnapshot', async (ctx, { params, body }) => {
  const b: RestoreRequest = body ?? {};
  const snapshot = await findSnapshot(ctx, params.id);
  if (b.target !== undefined) absoluteSegments(b.target, 'restore target');
  const include = checkIncludes(b.include ?? [], snapshot.paths);
  const overwrite = overwriteFor(b);

  // Default: the agent that made the backup (its job's agent, else the snapshot's host).
  // A deleted job's snapshots stay restorable: its record still names the agent that made them.
  const job = snapshot.jobId !== null ? await ctx.catalog.jobs.getIncludingDeleted(snapshot.jobId) : null;
  const agentName = b.agent ?? job?.agentName ?? snapshot.hostname;
  if (!agentName) throw new InputError('this snapshot has no job or host: name the target agent');
  if (!(await ctx.catalog.agents.findByName(agentName))) throw new InputError(`unknown agent "${agentName}": agents register themselves when they start`);

  const via = await restoreVia(ctx, b, snapshot, job, agentName, overwrite);

  const maxTimeout = ctx.approvalTimeoutMs;
  const requireApproval = needsApproval(ctx.restoreApproval, b);
  const input = (runId: string): RestoreWorkflowInput => ({
    runId,
    snapshot: { id: snapshot.id, repositoryId: snapshot.repositoryId, jobId: snapshot.jobId, paths: snapshot.paths },
    agentName,
    target: b.target ?? null,
    include,
    overwrite,
    verify: b.verify ?? true,
    requireApproval,
    approvalTimeoutMs: Math.min(b.approvalTimeoutMs ?? maxTimeout, maxTimeout),
    postHook: b.postHook ?? null,
    via,
    agentScheduleToStartMs: ctx.agentScheduleToStartMs,
    engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs,
  });
  // The row names the target agent, the repository and where the engine runs: an `agent`
  // restore is what lets the agent fetch the repository password while it is active.
  const started = await startRun(ctx, {
    // Scoped to the snapshot: the same key for another snapshot is a conflict.
    idempotency: idempotencyOf(params, `restoreSnapshot:${snapshot.id}`),
    run: { kind: 'restore', jobId: snapshot.jobId, repositoryId: snapshot.repositoryId, agentName, engineSite: via },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.restore, snapshot.jobId ?? 'snapshot', at),
    workflow: Workflows.restore,
    input,
  });
  if (!started.replayed) ctx.logger.info({ snapshotId: snapshot.id, runId: started.runId, workflowId: started.workflowId, agentName, requireApproval, via }, 'restore run started');
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});

/** Approve/reject: only a restore in awaiting-approval; anything later is a 409, never a second decision. */
function decide(signal: (typeof RestoreSignal)[keyof typeof RestoreSignal]) {
  // approveRun and rejectRun take and answer the same.
  return async (ctx: ApiContext, { params, body, identity }: HandlerInput<'approveRun' | 'rejectRun'>): Promise<ResultOf<'approveRun' | 'rejectRun'>> => {
    const run = await ctx.catalog.runs.get(params.runId);
    if (run.kind !== 'restore') throw new ConflictError(`run ${run.id} is a ${run.kind} run: only restores wait for approval`);
    if (run.status !== 'awaiting-approval') throw new ConflictError(`run ${run.id} is ${run.status}, not awaiting approval`);
    const note = body?.note ?? null;
    const input: ApprovalInput = { by: identity.name, note };
    await ctx.temporal.workflow.getHandle(run.workflowId).signal(signal, input);
    ctx.logger.info({ runId: run.id, decision: signal, by: identity.name }, 'restore approval decided');
    return { status: 202, body: { runId: run.id, decision: signal === RestoreSignal.approve ? 'approved' : 'rejected', by: identity.name } };
  };
}

export const approveRun = handler('approveRun', decide(RestoreSignal.approve));
export const rejectRun = handler('rejectRun', decide(RestoreSignal.reject));
