// GuestNbdExportWorkflow on the Temporal dev server, the agent's steps and the server's
// bookkeeping faked (the repository lock real): the paths the integration test cannot reach
// on purpose — a daemon that keeps dying (started again, then given up), a release asked
// while the disk is still restoring, a run cancelled mid-restore (its image removed), a
// target the agent says is a block device. Every path ends with the release on the agent.
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { fakes } from './support/fakes';
import { quietRuntime } from './support/time-skipping';
import { workflowBundle } from './support/bundles';
import { waitFor } from '../support/wait';
import { toolPath } from '../support/tools';
import { createLockActivities } from '../../activities/server/lock-activities';
import { createLogger } from '../../core/logger';
import { SERVER_TASK_QUEUE, SearchAttribute, agentTaskQueue } from '../../contract/names';
import { waitForSearchAttributes } from '../../core/temporal-connection';
import { ExportMessage, type GuestNbdExportActivities, type GuestNbdExportInput, type GuestNbdExportStatus } from '../../contract/guest-nbd-export';
import type { GuestAgentActivities, GuestRestoreResult, GuestRestoreTarget } from '../../contract/guest-activities';
import type { FinishRestoreInput, RestoreServerActivities } from '../../contract/restore-activities';
import type { LockActivities } from '../../contract/repository-lock';
import { guestNbdExportWorkflow, releaseExportUpdate } from '../../workflows/guest-nbd-export';

jest.setTimeout(120_000);

// The dev server, not the time-skipping one: the export is held by one long activity, during
// which the time-skipping server's clock stands still.
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleOption;
let client: Client;
beforeAll(async () => {
  quietRuntime();
  // The run upserts Backstop's search attributes: the server must know them.
  const searchAttributes = Object.values(SearchAttribute).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: toolPath('temporal') }, extraArgs: ['--headless', ...searchAttributes] } });
  await waitForSearchAttributes(env.connection, env.namespace ?? 'default');
  bundle = await workflowBundle(require.resolve('../../workflows'));
  client = new Client({ connection: env.connection, namespace: env.namespace });
});
afterAll(async () => {
  await env?.teardown();
});

const AGENT = 'pve1';
const TARGET = '/restores/vm-100-scsi0.raw';
const restored: GuestRestoreResult = { frozenAt: '2026-12-03T10:00:00.000Z', disks: [{ name: 'scsi0', size: 1 << 24, file: TARGET, segments: 16, bytesWritten: 3 << 20 }], configFiles: [] };
let n = 0;

interface Fake {
  checked?: GuestRestoreTarget;
  /** Resolves the restore (the test lets it finish); by default at once. */
  restore?: (signal: AbortSignal) => Promise<GuestRestoreResult>;
  /** The hold: by default until cancelled. */
  hold?: () => Promise<void>;
}

async function scenario(fake: Fake, drive: (handle: WorkflowHandle<typeof guestNbdExportWorkflow>, calls: string[]) => Promise<void>) {
  const calls: string[] = [];
  let finish: FinishRestoreInput | undefined;
  const runId = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const input: GuestNbdExportInput = {
    runId,
    snapshot: { id: 's'.repeat(64), repositoryId: 700 + n, jobId: 9, paths: ['/stage'] },
    agentName: AGENT,
    disk: 'scsi0',
    target: TARGET,
    writable: false,
    ttlMs: null,
    agentScheduleToStartMs: 60_000,
    engineHeartbeatTimeoutMs: 30_000,
  };
  const serverWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: bundle,
    maxCachedWorkflows: 0,
    activities: fakes<RestoreServerActivities & LockActivities>({
      startRestoreRun: async () => ({ repository: { id: input.snapshot.repositoryId, name: 'guests', url: '/srv/repo' } }),
      finishRestoreRun: async (i) => {
        calls.push(`finish ${i.status}`);
        finish = i;
      },
      notifyRestore: async () => undefined,
      ...createLockActivities({ client, logger: createLogger('test', 'silent'), lockTimings: { checkHoldersEveryMs: 30 * 24 * 3_600_000, idleExitMs: 30 * 24 * 3_600_000 } }),
    }),
  });
  const agentWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: agentTaskQueue(AGENT),
    maxHeartbeatThrottleInterval: '100ms',
    activities: fakes<GuestAgentActivities & GuestNbdExportActivities>({
      checkGuestRestoreTarget: async () => (calls.push('check'), fake.checked ?? { target: TARGET, kind: 'image-file' }),
      restoreGuestSnapshot: async () => {
        calls.push('restore');
        const ctx = Context.current();
        const ticker = setInterval(() => ctx.heartbeat({ phase: 'restoring', disk: 'scsi0', bytesWritten: 1 }), 50);
        try {
          return await (fake.restore ? fake.restore(ctx.cancellationSignal) : restored);
        } finally {
          clearInterval(ticker);
        }
      },
      startGuestNbdExport: async (i) => (calls.push('start'), { socketPath: `/s/${i.exportId}.sock`, nbdUri: `nbd+unix:///scsi0?socket=/s/${i.exportId}.sock`, pid: 1000 + calls.length, replacedPid: null }),
      holdGuestNbdExport: async () => {
        calls.push('hold');
        if (fake.hold) return fake.hold();
        const ctx = Context.current();
        await new Promise<void>((resolve) => {
          const ticker = setInterval(() => ctx.heartbeat(), 50);
          ctx.cancellationSignal.addEventListener('abort', () => {
            clearInterval(ticker);
            resolve();
          });
        });
        throw ctx.cancellationSignal.reason;
      },
      releaseGuestNbdExport: async (i) => void calls.push(`release ${i.removeImage ?? '-'}`),
    }),
  });
  let result: GuestNbdExportStatus | undefined;
  await serverWorker.runUntil(
    agentWorker.runUntil(async () => {
      const handle = await client.workflow.start(guestNbdExportWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId: `restore/9/${runId}`, args: [input] });
      await drive(handle, calls);
      result = await handle.result();
    }),
  );
  return { calls, result: result!, finish };
}

const query = (h: WorkflowHandle) => h.query<GuestNbdExportStatus>(ExportMessage.query);

test('a daemon that keeps dying is started again, each time counted, and given up after twenty starts', async () => {
  const { calls, result, finish } = await scenario({ hold: async () => Promise.reject(new Error('the NBD export daemon (pid 1) is gone')) }, async () => undefined);
  expect(result).toMatchObject({ state: 'ended', endReason: 'failed', attempts: 20, nbdUri: null });
  expect(result.failureReason).toMatch(/given up after 20 daemon starts: the NBD export daemon \(pid 1\) is gone/);
  expect(calls.filter((c) => c === 'start')).toHaveLength(20);
  // The run succeeded once the disk was first exported; the export's end is the workflow's.
  expect(finish).toMatchObject({ status: 'succeeded', details: { guest: { nbdExport: { nbdUri: expect.stringMatching(/^nbd\+unix:/) } } } });
  expect(calls.at(-1)).toBe('release -');
});

test('a release asked while restoring is taken once the disk is exported; the image stays', async () => {
  let letGo: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  const { calls, result } = await scenario({ restore: async () => (await gate, restored) }, async (handle) => {
    await waitFor('restoring', async () => (await query(handle)).state === 'restoring');
    const asked = await handle.executeUpdate(releaseExportUpdate, { args: [{ waitMs: 0 }] });
    expect(asked.state).toBe('restoring');
    letGo();
  });
  expect(result).toMatchObject({ state: 'ended', endReason: 'released', failureReason: null, attempts: 1, bytesRestored: 3 << 20 });
  // The hold may or may not have begun before the release was seen: either way the release ends it.
  expect(calls.slice(0, 4)).toEqual(['check', 'restore', 'start', 'finish succeeded']);
  expect(calls.at(-1)).toBe('release -');
});

test('a run cancelled mid-restore is recorded cancelled and removes its half-written image, starting no daemon', async () => {
  const { calls, result, finish } = await scenario(
    {
      restore: (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    },
    async (handle) => {
      await waitFor('restoring', async () => (await query(handle)).state === 'restoring');
      await handle.cancel();
    },
  );
  expect(result).toMatchObject({ state: 'ended', endReason: 'cancelled', attempts: 0 });
  expect(finish?.status).toBe('cancelled');
  expect(calls).toEqual(['check', 'restore', `release ${TARGET}`, 'finish cancelled']);
});

test('a target the agent says is a block device is refused before anything is written', async () => {
  const { calls, result, finish } = await scenario({ checked: { target: '/dev/sdb', kind: 'block-device' } }, async () => undefined);
  expect(result).toMatchObject({ state: 'ended', endReason: 'failed', attempts: 0 });
  expect(result.failureReason).toMatch(/is a block-device: an NBD export serves a new image file/);
  expect(finish?.status).toBe('failed');
  expect(calls).toEqual(['check', 'release -', 'finish failed']);
});

test('a run cancelled while exported stops the daemon (the hold cancelled) and releases it, keeping the image', async () => {
  const { calls, result, finish } = await scenario({}, async (handle, seen) => {
    await waitFor('the hold to run', async () => (await query(handle)).state === 'exported' && seen.includes('hold'));
    await handle.cancel();
  });
  expect(result).toMatchObject({ state: 'ended', endReason: 'cancelled', attempts: 1, nbdUri: null });
  expect(finish?.status).toBe('succeeded');
  expect(calls).toEqual(['check', 'restore', 'start', 'finish succeeded', 'hold', 'release -']);
});
