// Guest disk NBD exports (issue 19, item 2): POST restores a guest snapshot's disk into a new
// image on an agent and serves it over NBD (a restore run, started as guest restores are);
// GET shows the export, DELETE releases it. The export's id is its run's id; the workflow is
// the only record of its state (an Update while it runs, its result once it has ended), as
// for snapshot mounts (snapshot-mount.ts).
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { GuestRestoreHeartbeat } from '../../contract/guest-activities';
import { InputError, NotFoundError } from '../../contract/errors';
import { WorkflowKind, workflowIdFor } from '../../contract/names';
import { ExportMessage, exportTtlMs, type GuestNbdExportInput, type GuestNbdExportStatus } from '../../contract/guest-nbd-export';
import { Workflows } from '../../contract/workflows';
import { idempotencyOf, startRun } from '../start-run';
import type { ApiContext } from '../context';
import { handler } from '../context';
import { findSnapshot } from './restore';

const fieldError = (path: string, message: string) => new InputError(`${path.slice(1)}: ${message}`, { errors: [{ path, message }] });

/** What the API answers: the workflow's status, the run it belongs to and where to find the workflow. */
export function exportBody(workflowId: string, s: GuestNbdExportStatus) {
  return { ...s, runId: s.exportId, workflowId };
}

/** The status before the workflow has said anything (the POST's answer). */
export function startingStatus(exportId: string, input: Pick<GuestNbdExportInput, 'snapshot' | 'disk' | 'target' | 'writable'>, at: Date): GuestNbdExportStatus {
  return { exportId, snapshotId: input.snapshot.id, disk: input.disk, target: input.target, writable: input.writable, state: 'starting', nbdUri: null, bytesRestored: null, attempts: 0, expiresAt: null, startedAt: at.toISOString(), endReason: null, failureReason: null };
}

/** The status of an export workflow that closed without a result of its own (terminated, timed out, failed). */
export function closedWithout(run: { id: string; status: string; failureReason: string | null }, snapshotId: string, disk: string, workflowStatus: string, startedAt: Date): GuestNbdExportStatus {
  const cancelled = workflowStatus === 'CANCELLED';
  return {
    exportId: run.id,
    snapshotId,
    disk,
    target: '',
    writable: false,
    state: 'ended',
    nbdUri: null,
    bytesRestored: null,
    attempts: 0,
    expiresAt: null,
    startedAt: startedAt.toISOString(),
    endReason: cancelled ? 'cancelled' : 'failed',
    failureReason: cancelled ? null : (run.failureReason ?? `the export's workflow ended ${workflowStatus.toLowerCase()}`),
  };
}

export const exportGuestDisk = handler('exportGuestDisk', async (ctx, { params, body: b }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  // A deleted job's snapshots stay exportable, as they stay restorable.
  const job = snapshot.jobId !== null ? await ctx.catalog.jobs.getIncludingDeleted(snapshot.jobId) : null;
  if (!job || job.kind !== 'guest' || !job.guest) throw new InputError(`snapshot ${snapshot.id} is not a guest job's backup: only a guest disk is exported over NBD`);
  if (snapshot.paths.length !== 1) throw new InputError(`snapshot ${snapshot.id} has ${snapshot.paths.length} paths, not a guest backup's one stage directory`);
  const disks = job.guest.disks.map((d) => d.name);
  if (!disks.includes(params.disk)) throw new NotFoundError(`the guest of snapshot ${snapshot.id.slice(0, 8)} has no disk ${params.disk} (it has ${disks.join(', ')})`);
  let ttlMs: number | null;
  try {
    ttlMs = exportTtlMs(b.ttlSeconds);
  } catch (err) {
    throw fieldError('/ttlSeconds', (err as Error).message);
  }
  const agentName = b.agent ?? job.agentName;
  if (!(await ctx.catalog.agents.findByName(agentName))) throw fieldError('/agent', `unknown agent "${agentName}": agents register themselves when they start`);

  const shape = { snapshot: { id: snapshot.id, repositoryId: snapshot.repositoryId, jobId: snapshot.jobId, paths: snapshot.paths }, disk: params.disk, target: b.target, writable: b.writable ?? false };
  const input = (runId: string): GuestNbdExportInput => ({
    runId,
    ...shape,
    agentName,
    ttlMs,
    agentScheduleToStartMs: ctx.agentScheduleToStartMs,
    engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs,
  });
  // engineSite agent: the agent fetches the repository password while the run is active.
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `exportGuestDisk:${snapshot.id}:${params.disk}`),
    run: { kind: 'restore', jobId: snapshot.jobId, repositoryId: snapshot.repositoryId, agentName, engineSite: 'agent' },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.restore, job.id, at),
    workflow: Workflows.guestNbdExport,
    input,
  });
  if (!started.replayed) ctx.logger.info({ snapshotId: snapshot.id, runId: started.runId, workflowId: started.workflowId, agentName, disk: params.disk, writable: shape.writable }, 'guest disk NBD export started');
  return { status: 202, body: exportBody(started.workflowId, startingStatus(started.runId, shape, new Date())) };
});

/** The payloads a workflow description lists for its pending activities (as `describe().raw` has them). */
type PendingActivities = Array<{ activityType?: { name?: string | null } | null; heartbeatDetails?: { payloads?: Array<Parameters<typeof defaultPayloadConverter.fromPayload>[0]> | null } | null }>;

/** Bytes the restore step has written so far, from its latest heartbeat; null before its first. */
export function restoringBytes(pending: PendingActivities | null | undefined): number | null {
  const payload = pending?.find((a) => a.activityType?.name === 'restoreGuestSnapshot')?.heartbeatDetails?.payloads?.[0];
  if (!payload) return null;
  const hb = defaultPayloadConverter.fromPayload<GuestRestoreHeartbeat>(payload);
  return typeof hb?.bytesWritten === 'number' ? hb.bytesWritten : null;
}

/** The export `exportId` of this snapshot's disk, or 404: its run, its workflow, and its status after `update`. */
async function askExport(ctx: ApiContext, params: { id: string; disk: string; exportId: string }, update: string, waitMs: number) {
  const snapshot = await findSnapshot(ctx, params.id);
  const notFound = () => new NotFoundError(`snapshot ${snapshot.id.slice(0, 8)}'s disk ${params.disk} has no export ${params.exportId}`);
  const run = await ctx.catalog.runs.get(params.exportId).catch((err: unknown) => {
    if (err instanceof NotFoundError) throw notFound();
    throw err;
  });
  if (run.kind !== 'restore' || run.jobId !== snapshot.jobId || !run.workflowId) throw notFound();
  const handle: WorkflowHandle = ctx.temporal.workflow.getHandle(run.workflowId);
  let d;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound();
    throw err;
  }
  if (d.type !== Workflows.guestNbdExport.type) throw notFound();
  let status: GuestNbdExportStatus | null = null;
  if (d.status.name === 'RUNNING') {
    try {
      status = await handle.executeUpdate<GuestNbdExportStatus, [{ waitMs: number }]>(update, { args: [{ waitMs }] });
    } catch (err) {
      // Ended while asked: answered below from its result.
      if ((await handle.describe()).status.name === 'RUNNING') throw err;
      d = await handle.describe();
    }
  }
  if (!status) {
    status = d.status.name === 'COMPLETED' ? ((await handle.result()) as GuestNbdExportStatus) : closedWithout(run, snapshot.id, params.disk, d.status.name, d.startTime);
  }
  if (status.snapshotId !== snapshot.id || status.disk !== params.disk) throw notFound();
  // While restoring, the workflow knows no bytes yet: the restore step's heartbeat does (best effort).
  if (status.state === 'restoring' && status.bytesRestored === null) {
    const live = await handle.describe().then((x) => restoringBytes(x.raw.pendingActivities as PendingActivities), () => null);
    status = { ...status, bytesRestored: live };
  }
  return exportBody(run.workflowId, status);
}

export const getGuestDiskExport = handler('getGuestDiskExport', async (ctx, { params, query }) => {
  return { status: 200, body: await askExport(ctx, params, ExportMessage.status, query.waitSeconds * 1000) };
});

export const releaseGuestDiskExport = handler('releaseGuestDiskExport', async (ctx, { params, query }) => {
  return { status: 200, body: await askExport(ctx, params, ExportMessage.release, query.waitSeconds * 1000) };
});
