// Guest file mounts (issue 19, item 2): POST starts (or finds) the GuestFileMountWorkflow of
// one disk of a guest snapshot, GET shows it (and counts as use), DELETE unmounts it. As
// snapshot mounts (snapshot-mount.ts): the workflow is the only record of a mount, its id is
// per snapshot and disk, and each answer comes from the workflow itself.
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError } from '../../contract/errors';
import { SERVER_TASK_QUEUE, guestFileMountWorkflowId } from '../../contract/names';
import { mountTtlMs } from '../../contract/snapshot-mount';
import { GuestFileMountMessage, type GuestFileMountInput, type GuestFileMountStatus } from '../../contract/guest-file-mount';
import { Workflows } from '../../contract/workflows';
import type { ApiContext } from '../context';
import { handler } from '../context';
import { findSnapshot } from './restore';
import { askMountWorkflow, closedWithout } from './snapshot-mount';

export function guestMountBody(workflowId: string, s: GuestFileMountStatus) {
  return { ...s, workflowId };
}

/**
 * The guest snapshot and its disk, or why not: a snapshot of a files job (400), or a disk the
 * guest does not have (404, naming the ones it has).
 */
async function guestDisk(ctx: ApiContext, idOrPrefix: string, disk: string) {
  const snapshot = await findSnapshot(ctx, idOrPrefix);
  // A deleted job's snapshots stay restorable, and so mountable.
  const job = snapshot.jobId !== null ? await ctx.catalog.jobs.getIncludingDeleted(snapshot.jobId) : null;
  if (!job || job.kind !== 'guest' || !job.guest) throw new InputError(`snapshot ${snapshot.id.slice(0, 8)} is not a guest job's backup: mount it with POST /v1/snapshots/${snapshot.id}/mount`);
  // A guest snapshot holds one path, the agent's stage: its manifest.json is at its root.
  if (snapshot.paths.length !== 1) throw new InputError(`snapshot ${snapshot.id.slice(0, 8)} has ${snapshot.paths.length} paths, not a guest backup's one stage directory`);
  const disks = job.guest.disks.map((d) => d.name);
  if (!disks.includes(disk)) throw new NotFoundError(`snapshot ${snapshot.id.slice(0, 8)} has no disk ${disk} (its guest has ${disks.join(', ')})`);
  const workflowId = guestFileMountWorkflowId(snapshot.id, disk);
  return { snapshot, workflowId, handle: ctx.temporal.workflow.getHandle(workflowId) };
}

function ask(handle: Parameters<typeof askMountWorkflow>[0], snapshotId: string, disk: string, update: string, waitMs: number) {
  return askMountWorkflow<GuestFileMountStatus>(handle, update, waitMs, (status, startedAt, closedAt) => {
    const { mountId, state, expiresAt, attempts, endReason, failureReason } = closedWithout(snapshotId, status, startedAt, closedAt);
    return { mountId, snapshotId, disk, state, filesystems: [], expiresAt, startedAt: startedAt.toISOString(), attempts, endReason, failureReason };
  });
}

export const mountGuestDisk = handler('mountGuestDisk', async (ctx, { params, body }) => {
  const { snapshot, workflowId } = await guestDisk(ctx, params.id, params.disk);
  let ttlMs: number;
  try {
    ttlMs = mountTtlMs(body?.ttlSeconds);
  } catch (err) {
    throw new InputError((err as Error).message, { errors: [{ path: '/ttlSeconds', message: (err as Error).message }] });
  }
  const input: GuestFileMountInput = {
    mountId: randomUUID(),
    snapshotId: snapshot.id,
    repositoryId: snapshot.repositoryId,
    stageRoot: snapshot.paths[0]!,
    disk: params.disk,
    ttlMs,
    heartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs,
  };
  // One mount per disk: a mount already up is returned as it is (this POST counts as its use).
  const handle = await ctx.temporal.workflow.start(Workflows.guestFileMount.type, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const status = await ask(handle, snapshot.id, params.disk, GuestFileMountMessage.touch, 0);
  if (!status) throw new NotFoundError(`the mount of disk ${params.disk} of snapshot ${snapshot.id.slice(0, 8)} vanished as it started`);
  ctx.logger.info({ snapshotId: snapshot.id, disk: params.disk, workflowId, mountId: status.mountId }, 'guest disk mount asked for');
  return { status: 202, body: guestMountBody(workflowId, status) };
});

/** Why a GET finds no mount; as for snapshot mounts, the operator learns how the last one ended. */
export function notMountedGuestDetail(snapshotId: string, disk: string, last: GuestFileMountStatus | null): string {
  const what = `disk ${disk} of snapshot ${snapshotId.slice(0, 8)}`;
  if (!last) return `${what} is not mounted`;
  if (last.state === 'unmounting') return `${what} is not mounted: its mount is being unmounted`;
  const why = `${last.endReason ?? 'ended'}${last.failureReason ? `: ${last.failureReason}` : ''}`;
  return `${what} is not mounted: its last mount ended (${why})`;
}

export const getGuestDiskMount = handler('getGuestDiskMount', async (ctx, { params, query }) => {
  const { snapshot, workflowId, handle } = await guestDisk(ctx, params.id, params.disk);
  const status = await ask(handle, snapshot.id, params.disk, GuestFileMountMessage.touch, query.waitSeconds * 1000);
  if (!status || status.state === 'ended' || status.state === 'unmounting') throw new NotFoundError(notMountedGuestDetail(snapshot.id, params.disk, status));
  return { status: 200, body: guestMountBody(workflowId, status) };
});

export const unmountGuestDisk = handler('unmountGuestDisk', async (ctx, { params, query }) => {
  const { snapshot, workflowId, handle } = await guestDisk(ctx, params.id, params.disk);
  const status = await ask(handle, snapshot.id, params.disk, GuestFileMountMessage.unmount, query.waitSeconds * 1000);
  if (!status) throw new NotFoundError(`disk ${params.disk} of snapshot ${snapshot.id.slice(0, 8)} is not mounted`);
  return { status: 200, body: guestMountBody(workflowId, status) };
});
