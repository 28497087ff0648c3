// SnapshotMountWorkflow on the Temporal dev server, with fake activities: the mount
// comes up (the holding activity signals it), then ends by idle TTL, by the unmount
// update (DELETE), or by cancellation — and every time the holding activity is cancelled
// and the release (unmount) runs.
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { fakes } from './support/fakes';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { recordHistory } from '../support/history';
import { waitFor } from '../support/wait';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { quietRuntime } from './support/time-skipping';
import { workflowBundle } from './support/bundles';
import { toolPath } from '../support/tools';
import { SERVER_TASK_QUEUE } from '../../contract/names';
import { MountMessage, type MountActivities, type MountProgress, type SnapshotMountInput, type SnapshotMountStatus } from '../../contract/snapshot-mount';
import { snapshotMountWorkflow, touchMountUpdate, unmountUpdate } from '../../workflows/snapshot-mount';

jest.setTimeout(120_000);

// The Temporal CLI dev server, not the time-skipping one: the time-skipping server stops its
// clock while an activity runs, and a mount is exactly one long-running activity. The TTL
// cases use a TTL of a few real seconds and wait for the workflow's own timer.
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

const snapshotId = 'c'.repeat(64);
const LONG_TTL_MS = 10 * 60_000;
const SHORT_TTL_MS = 3_000;

let n = 0;

interface Recorder {
  calls: string[];
  /** When the fake told the workflow the mount is up (this machine's clock, as the dev server's). */
  mountedAt?: number;
}

/** `recordAs`: with RECORD_HISTORIES=1 its history is kept for the replay test (test/workflow/replay.test.ts). */
async function scenario(ttlMs: number, whileUp: (handle: WorkflowHandle<typeof snapshotMountWorkflow>, rec: Recorder) => Promise<void>, recordAs?: string): Promise<{ rec: Recorder; result?: SnapshotMountStatus; error?: unknown }> {
  const rec: Recorder = { calls: [] };
  const mountId = `m${++n}`;
  const input: SnapshotMountInput = {
    mountId,
    snapshotId,
    repositoryId: 1,
    ttlMs,
    // Beyond any skip here: the fake heartbeats in real time while the clock jumps.
    heartbeatTimeoutMs: 30 * 24 * 3_600_000,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: bundle,
    maxCachedWorkflows: 0,
    // The cancellation reaches an activity with its next heartbeat sent to the server: as on
    // the server worker (5 s there), not the default of up to 60 s.
    maxHeartbeatThrottleInterval: '100ms',
    activities: fakes<MountActivities>({
      holdSnapshotMount: async (i) => {
        rec.calls.push(`hold ${i.mountId}`);
        const ctx = Context.current();
        const up: MountProgress = { attempt: ctx.info.attempt, state: 'mounted', path: `/mounts/${i.mountId}/ids/${i.snapshotId}` };
        rec.mountedAt = Date.now();
        await client.workflow.getHandle(ctx.info.workflowExecution!.workflowId).signal(MountMessage.progress, up);
        // Held until cancelled: heartbeats carry the cancellation to the activity.
        await new Promise<void>((resolve) => {
          const ticker = setInterval(() => ctx.heartbeat(up), 50);
          ctx.cancellationSignal.addEventListener('abort', () => {
            clearInterval(ticker);
            resolve();
          });
        });
        rec.calls.push('hold cancelled');
        throw ctx.cancellationSignal.reason;
      },
      releaseSnapshotMount: async (i) => void rec.calls.push(`release ${i.mountId}`),
    }),
  });
  let result: SnapshotMountStatus | undefined;
  let error: unknown;
  await worker.runUntil(async () => {
    const handle = await client.workflow.start(snapshotMountWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId: `snapshot-mount/${mountId}`, args: [input] });
    // Past `starting`: with a short TTL the mount may already be gone again by the time a
    // busy machine asks, so `mounted` itself is only awaited where the TTL is long.
    const status = await waitFor('the mount to be up', async () => {
      const s = await handle.query<SnapshotMountStatus>(MountMessage.status);
      return s.state !== 'starting' ? s : null;
    });
    if (ttlMs === LONG_TTL_MS) expect(status).toMatchObject({ state: 'mounted', path: `/mounts/${mountId}/ids/${snapshotId}`, mountId, attempts: 1 });
    await whileUp(handle, rec);
    result = await handle.result().catch((err: unknown) => {
      error = err;
      return undefined;
    });
    if (recordAs) recordHistory(recordAs, historyToJSON(await handle.fetchHistory()));
  });
  return { rec, result, error };
}

test('idle for its TTL: the mount ends, the engine is stopped and the unmount runs', async () => {
  const { rec, result } = await scenario(SHORT_TTL_MS, async () => undefined, 'snapshot-mount-expired');
  expect(result).toMatchObject({ state: 'ended', endReason: 'expired', path: null, failureReason: null });
  // The idle time counted from when the mount was up, not from the request.
  expect(Date.parse(result!.expiresAt)).toBeGreaterThanOrEqual(rec.mountedAt! + SHORT_TTL_MS);
  expect(rec.calls).toEqual(['hold m1', 'hold cancelled', 'release m1']);
});

test('a use (the touch update) pushes the expiry forward and answers the status', async () => {
  const { rec, result } = await scenario(LONG_TTL_MS, async (handle) => {
    const first = await handle.query<SnapshotMountStatus>(MountMessage.status);
    const touched = await handle.executeUpdate(touchMountUpdate, { args: [{}] });
    expect(touched.state).toBe('mounted');
    // The update runs in a later workflow task than the mount's start: its use moves the expiry.
    expect(Date.parse(touched.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));
    await handle.executeUpdate(unmountUpdate, { args: [{ waitMs: 60_000 }] });
  }, 'snapshot-mount-touched-unmounted');
  expect(result?.endReason).toBe('unmounted');
  expect(rec.calls).toEqual(['hold m2', 'hold cancelled', 'release m2']);
});

test('DELETE (the unmount update) ends the mount and answers once it has ended', async () => {
  const { rec, result } = await scenario(LONG_TTL_MS, async (handle, r) => {
    const status = await handle.executeUpdate(unmountUpdate, { args: [{ waitMs: 60_000 }] });
    expect(status).toMatchObject({ state: 'ended', endReason: 'unmounted', path: null });
    expect(r.calls).toEqual(['hold m3', 'hold cancelled', 'release m3']);
  });
  expect(result?.endReason).toBe('unmounted');
  expect(rec.calls).toHaveLength(3);
});

test('a cancelled mount workflow still stops the engine and unmounts', async () => {
  const { rec, error } = await scenario(LONG_TTL_MS, async (handle) => {
    await handle.cancel();
  }, 'snapshot-mount-cancelled');
  // It ends as cancelled in Temporal, after its cleanup.
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(rec.calls).toEqual(['hold m4', 'hold cancelled', 'release m4']);
});
