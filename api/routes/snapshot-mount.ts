// Snapshot mounts (issue 13): POST starts (or finds) the SnapshotMountWorkflow of a
// snapshot, GET shows it (and counts as use), DELETE unmounts it. The workflow is the only
// record of a mount: its id is per snapshot (`snapshot-mount/<id>`), so Temporal keeps one
// running per snapshot, and each answer comes from the workflow itself (an Update while it
// runs, its result once it has ended).
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { requireCapability } from '../../contract/engine-capabilities';
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError } from '../../contract/errors';
import { SERVER_TASK_QUEUE, snapshotMountWorkflowId } from '../../contract/names';
import { MountMessage, mountTtlMs, type SnapshotMountInput, type SnapshotMountStatus } from '../../contract/snapshot-mount';
import { Workflows } from '../../contract/workflows';
import type { ApiContext } from '../context';
import { handler } from '../context';
import { findSnapshot } from './restore';

/** What the API answers: the workflow's status and where to find the workflow. */
export function mountBody(workflowId: string, s: SnapshotMountStatus) {
  return { ...s, workflowId };
}

/** The status of a mount workflow that has closed without a result of its own (cancelled, terminated, timed out). */
export function closedWithout(snapshotId: string, status: string, startedAt: Date, closedAt: Date | undefined): SnapshotMountStatus {
  return {
    mountId: '',
    snapshotId,
    state: 'ended',
    path: null,
    expiresAt: (closedAt ?? startedAt).toISOString(),
    startedAt: startedAt.toISOString(),
    attempts: 1,
    endReason: status === 'CANCELLED' ? 'cancelled' : 'failed',
    failureReason: status === 'CANCELLED' ? null : `the mount's workflow ended ${status.toLowerCase()}`,
  };
}

/**
 * Sends `update` to the running mount workflow; once it has ended, answers its last status
 * (`closed` makes one for a run that ended without a result). Null when it never ran. Guest
 * file mounts (guest-file-mount.ts) ask theirs the same way.
 */
export async function askMountWorkflow<S>(handle: WorkflowHandle, update: string, waitMs: number, closed: (status: string, startedAt: Date, closedAt: Date | undefined) => S): Promise<S | null> {
  try {
    return await handle.executeUpdate<S, [{ waitMs: number }]>(update, { args: [{ waitMs }] });
  } catch (err) {
    let d;
    try {
      d = await handle.describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return null;
      throw e;
    }
    if (d.status.name === 'RUNNING') throw err;
    if (d.status.name === 'COMPLETED') return (await handle.result()) as S;
    return closed(d.status.name, d.startTime, d.closeTime);
  }
}

async function askMount(handle: WorkflowHandle, snapshotId: string, update: string, waitMs: number): Promise<SnapshotMountStatus | null> {
  return askMountWorkflow(handle, update, waitMs, (status, startedAt, closedAt) => closedWithout(snapshotId, status, startedAt, closedAt));
}

async function mountHandle(ctx: ApiContext, idOrPrefix: string) {
  const snapshot = await findSnapshot(ctx, idOrPrefix);
  const workflowId = snapshotMountWorkflowId(snapshot.id);
  return { snapshot, workflowId, handle: ctx.temporal.workflow.getHandle(workflowId) };
}

export const mountSnapshot = handler('mountSnapshot', async (ctx, { params, body }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  requireCapability((await ctx.catalog.repositories.get(snapshot.repositoryId)).engine, 'mount');
  let ttlMs: number;
  try {
    ttlMs = mountTtlMs(body?.ttlSeconds);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const workflowId = snapshotMountWorkflowId(snapshot.id);
  const input: SnapshotMountInput = { mountId: randomUUID(), snapshotId: snapshot.id, repositoryId: snapshot.repositoryId, ttlMs, heartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs };
  // One mount per snapshot: a mount already up is returned as it is (this POST counts as its use).
  const handle = await ctx.temporal.workflow.start(Workflows.snapshotMount.type, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const status = await askMount(handle, snapshot.id, MountMessage.touch, 0);
  if (!status) throw new NotFoundError(`the mount of snapshot ${snapshot.id.slice(0, 8)} vanished as it started`);
  return { status: 202, body: mountBody(workflowId, status) };
});

/**
 * Why a GET finds no mount. A mount being taken down or gone is not there any more — as after
 * any DELETE, a read answers 404 — but the operator still learns how the last one ended.
 */
export function notMountedDetail(snapshotId: string, last: SnapshotMountStatus | null): string {
  const short = snapshotId.slice(0, 8);
  if (!last) return `snapshot ${short} is not mounted`;
  if (last.state === 'unmounting') return `snapshot ${short} is not mounted: its mount is being unmounted`;
  const why = `${last.endReason ?? 'ended'}${last.failureReason ? `: ${last.failureReason}` : ''}`;
  return `snapshot ${short} is not mounted: its last mount ended (${why})`;
}

export const getSnapshotMount = handler('getSnapshotMount', async (ctx, { params, query }) => {
  const { snapshot, workflowId, handle } = await mountHandle(ctx, params.id);
  const status = await askMount(handle, snapshot.id, MountMessage.touch, query.waitSeconds * 1000);
  if (!status || status.state === 'ended' || status.state === 'unmounting') throw new NotFoundError(notMountedDetail(snapshot.id, status));
  return { status: 200, body: mountBody(workflowId, status) };
});

export const unmountSnapshot = handler('unmountSnapshot', async (ctx, { params, query }) => {
  const { snapshot, workflowId, handle } = await mountHandle(ctx, params.id);
  const status = await askMount(handle, snapshot.id, MountMessage.unmount, query.waitSeconds * 1000);
  if (!status) throw new NotFoundError(`snapshot ${snapshot.id.slice(0, 8)} is not mounted`);
  return { status: 200, body: mountBody(workflowId, status) };
});
