// GuestFileMountWorkflow on the Temporal dev server, its server steps faked (the repository
// lock real): the disk is restored under the repository's shared lock and mounted after the
// lock is released; an unmount, a cancellation or a failure always ends in the release; a
// scratch image swept by a restarted worker is restored again (under the lock) and mounted
// again; a disk without a filesystem ends the mount as failed with the reason.
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { fakes } from './support/fakes';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { recordHistory } from '../support/history';
import { quietRuntime } from './support/time-skipping';
import { workflowBundle } from './support/bundles';
import { waitFor } from '../support/wait';
import { toolPath } from '../support/tools';
import { createLockActivities } from '../../activities/server/lock-activities';
import { createLogger } from '../../core/logger';
import { LOCK_STATE_QUERY, SERVER_TASK_QUEUE, repositoryLockWorkflowId } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import type { LockActivities, LockState } from '../../contract/repository-lock';
import { GuestFileMountMessage, SCRATCH_IMAGE_MISSING, type GuestFileMountActivities, type GuestFileMountInput, type GuestFileMountProgress, type GuestFileMountStatus } from '../../contract/guest-file-mount';
import { guestFileMountWorkflow, unmountGuestFileMountUpdate } from '../../workflows/guest-file-mount';

jest.setTimeout(120_000);

// The dev server, not the time-skipping one: a mount is one long-running activity, during
// which the time-skipping server stops its clock.
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleOption;
let client: Client;
beforeAll(async () => {
  quietRuntime();
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: toolPath('temporal') }, extraArgs: ['--headless'] } });
  bundle = await workflowBundle(require.resolve('../../workflows'));
  client = new Client({ connection: env.connection, namespace: env.namespace });
});
afterAll(async () => {
  await env?.teardown();
});

const snapshotId = 'd'.repeat(64);
const fs = { name: 'p1', partition: 1, fsType: 'ext4', path: '/m/p1', offset: 1 << 20, size: 15 << 20 };
let n = 0;

interface Behaviour {
  /** Attempt numbers of holdGuestFileMount (per restore) that find the scratch image swept. */
  sweptOnAttempts?: number;
  /** The hold fails for good with this message (a disk with nothing to mount). */
  noFilesystem?: string;
}

async function lockHolders(repositoryId: number): Promise<string[]> {
  const state = await client.workflow.getHandle(repositoryLockWorkflowId(repositoryId)).query<LockState>(LOCK_STATE_QUERY);
  return state.holders.map((h) => `${h.holderId} ${h.mode}`);
}

/** `recordAs`: with RECORD_HISTORIES=1 its history is kept for the replay test (test/workflow/replay.test.ts). */
async function scenario(b: Behaviour, whileUp: (handle: WorkflowHandle<typeof guestFileMountWorkflow>) => Promise<void>, recordAs?: string): Promise<{ calls: string[]; result?: GuestFileMountStatus; error?: unknown }> {
  const calls: string[] = [];
  const mountId = `g${++n}`;
  const workflowId = `guest-file-mount/${snapshotId}/scsi${n}`;
  const input: GuestFileMountInput = { mountId, snapshotId, repositoryId: 700 + n, stageRoot: '/stage', disk: `scsi${n}`, ttlMs: 10 * 60_000, heartbeatTimeoutMs: 30 * 24 * 3_600_000 };
  let restores = 0;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: bundle,
    maxCachedWorkflows: 0,
    maxHeartbeatThrottleInterval: '100ms',
    activities: fakes<GuestFileMountActivities & LockActivities>({
      ...createLockActivities({ client, logger: createLogger('test', 'silent') }),
      restoreGuestScratchImage: async (i) => {
        restores++;
        // Read under the repository's shared lock.
        calls.push(`restore ${i.disk} holders=${(await lockHolders(input.repositoryId)).join(',')}`);
        return { size: 16 << 20, bytesWritten: 300_000 };
      },
      holdGuestFileMount: async (i) => {
        const ctx = Context.current();
        // Mounted without the lock: released as the restore ended.
        await waitFor('the lock to be released', async () => (await lockHolders(input.repositoryId)).length === 0, 10_000);
        calls.push(`hold ${i.mountId} attempt ${ctx.info.attempt}`);
        if (b.noFilesystem) throw ApplicationFailure.create({ message: b.noFilesystem, type: ErrorType.input, nonRetryable: true });
        if (restores === 1 && b.sweptOnAttempts) throw ApplicationFailure.nonRetryable('the scratch image of disk is gone', SCRATCH_IMAGE_MISSING);
        const up: GuestFileMountProgress = { attempt: ctx.info.attempt, state: 'mounted', filesystems: [fs] };
        await client.workflow.getHandle(workflowId).signal(GuestFileMountMessage.progress, up);
        await new Promise<void>((resolve) => {
          const ticker = setInterval(() => ctx.heartbeat(up), 50);
          ctx.cancellationSignal.addEventListener('abort', () => {
            clearInterval(ticker);
            resolve();
          });
        });
        calls.push('hold cancelled');
        throw ctx.cancellationSignal.reason;
      },
      releaseGuestFileMount: async (i) => void calls.push(`release ${i.mountId}`),
    }),
  });
  let result: GuestFileMountStatus | undefined;
  let error: unknown;
  await worker.runUntil(async () => {
    const handle = await client.workflow.start(guestFileMountWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId, args: [input] });
    await whileUp(handle);
    result = await handle.result().catch((err: unknown) => {
      error = err;
      return undefined;
    });
    if (recordAs) recordHistory(recordAs, historyToJSON(await handle.fetchHistory()));
  });
  return { calls, result, error };
}

const mountedStatus = (handle: WorkflowHandle<typeof guestFileMountWorkflow>) =>
  waitFor('the disk to be mounted', async () => {
    const s = await handle.query<GuestFileMountStatus>(GuestFileMountMessage.status);
    return s.state === 'mounted' ? s : null;
  });

test('restored under the shared lock, mounted without it; DELETE unmounts and releases', async () => {
  const { calls, result } = await scenario({}, async (handle) => {
    const up = await mountedStatus(handle);
    expect(up).toMatchObject({ state: 'mounted', filesystems: [fs], attempts: 1, disk: 'scsi1' });
    const down = await handle.executeUpdate(unmountGuestFileMountUpdate, { args: [{ waitMs: 60_000 }] });
    expect(down).toMatchObject({ state: 'ended', endReason: 'unmounted', filesystems: [] });
  });
  expect(result?.endReason).toBe('unmounted');
  expect(calls).toEqual([`restore scsi1 holders=guest-file-mount/${snapshotId}/scsi1 shared`, 'hold g1 attempt 1', 'hold cancelled', 'release g1']);
});

test('a scratch image swept by a restarted worker: restored again under the lock, then mounted again as a new attempt', async () => {
  const { calls, result } = await scenario({ sweptOnAttempts: 1 }, async (handle) => {
    const up = await mountedStatus(handle);
    expect(up.attempts).toBe(2);
    await handle.executeUpdate(unmountGuestFileMountUpdate, { args: [{ waitMs: 60_000 }] });
  }, 'guest-file-mount-restored-again');
  expect(result?.endReason).toBe('unmounted');
  const holder = `holders=guest-file-mount/${snapshotId}/scsi2 shared`;
  expect(calls).toEqual([`restore scsi2 ${holder}`, 'hold g2 attempt 1', `restore scsi2 ${holder}`, 'hold g2 attempt 1', 'hold cancelled', 'release g2']);
});

test('a disk with nothing to mount: the mount ends as failed with the reason, and the release still runs', async () => {
  const reason = 'no filesystem found on disk scsi3: neither a filesystem nor a partition table';
  const { calls, result } = await scenario({ noFilesystem: reason }, async () => undefined, 'guest-file-mount-no-filesystem');
  expect(result).toMatchObject({ state: 'ended', endReason: 'failed', failureReason: reason, filesystems: [] });
  expect(calls).toEqual([`restore scsi3 holders=guest-file-mount/${snapshotId}/scsi3 shared`, 'hold g3 attempt 1', 'release g3']);
});

test('a cancelled mount workflow still unmounts and releases', async () => {
  const { calls, error } = await scenario({}, async (handle) => {
    await mountedStatus(handle);
    await handle.cancel();
  });
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(calls).toEqual([`restore scsi4 holders=guest-file-mount/${snapshotId}/scsi4 shared`, 'hold g4 attempt 1', 'hold cancelled', 'release g4']);
});
