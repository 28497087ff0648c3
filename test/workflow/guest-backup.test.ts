// GuestBackupWorkflow on the time-skipping test server, the agent's guest steps and the
// server's bookkeeping faked (the repository lock real): the order that keeps incrementals
// right — the snapshot recorded before the bitmaps are committed, the view and bitmaps rolled
// back when there is no snapshot — and what the run records.
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { LOCAL_ACTIVITY_CACHE, timeSkippingSuite } from './support/time-skipping';
import { fakes } from './support/fakes';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../../contract/names';
import { ErrorType } from '../../contract/errors';
import { guestBackupWorkflow } from '../../workflows/guest-backup';
import type { FinishRunInput, ServerActivities, AgentActivities } from '../../contract/backup-activities';
import type { LockActivities } from '../../contract/repository-lock';
import type { GuestAgentActivities, GuestBackupPlan, GuestBackupStepInput, GuestBackupStepResult, GuestServerActivities, GuestViewInput } from '../../contract/guest-activities';
import type { GuestManifest } from '../../contract/guest';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));

const manifest: GuestManifest = {
  version: 1,
  jobId: 9,
  runId: 'run-2',
  frozenAt: '2026-12-03T10:00:00.000Z',
  stageRoot: '/var/lib/backstop/agents/pve1/guest/9/stage',
  disks: [{ name: 'scsi0', size: 1 << 26, segmentBytes: 1 << 20, mode: 'reuse', reason: null, bytesRead: 196608, mtimes: [[0, 64, 1764756000]] }],
  config: [],
};
const parent = { runId: 'run-1', snapshotId: 'p'.repeat(64), manifest: { ...manifest, runId: 'run-1' } };
const snapshot = { id: 's'.repeat(64), time: '2026-12-03T10:00:01Z', hostname: 'pve1', paths: [manifest.stageRoot], tags: [] };
const stored: GuestBackupStepResult = { snapshot, stats: null, manifest, bytesRead: 196608 };

let nextRepositoryId = 300;

interface Recorder {
  calls: string[];
  backup?: GuestBackupStepInput;
  view?: GuestViewInput;
  finish?: FinishRunInput;
}

async function runScenario(opts: { backup: () => Promise<GuestBackupStepResult>; commit?: () => Promise<void>; cancelWhileBackingUp?: boolean }) {
  const rec: Recorder = { calls: [] };
  const note = (c: string) => rec.calls.push(c);
  const plan: GuestBackupPlan = {
    jobId: 9,
    jobName: 'vm-100',
    agentName: 'pve1',
    repository: { id: nextRepositoryId++, name: 'guests', url: '/srv/repo' },
    guest: { qmpSocket: '/run/qemu-server/100.qmp', disks: [{ name: 'scsi0', node: 'drive-scsi0' }] },
    parent,
    postHook: null,
  };
  let backingUp: () => void = () => undefined;
  const backingUpNow = new Promise<void>((resolve) => (backingUp = resolve));
  const serverWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    ...LOCAL_ACTIVITY_CACHE,
    activities: fakes<ServerActivities & GuestServerActivities & LockActivities>({
      prepareGuestBackup: async () => (note('prepareGuestBackup'), plan),
      recordSnapshot: async () => void note('recordSnapshot'),
      finishRun: async (i: FinishRunInput) => {
        note('finishRun');
        rec.finish = i;
      },
      notify: async () => void note('notify'),
      ...suite.lockActivities(),
    }),
  });
  const agentWorker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: agentTaskQueue(plan.agentName),
    activities: fakes<GuestAgentActivities & AgentActivities>({
      backupGuestDisks: async (i: GuestBackupStepInput) => {
        note('backupGuestDisks');
        rec.backup = i;
        backingUp();
        return opts.backup();
      },
      commitGuestBitmaps: async (i: GuestViewInput) => {
        note('commitGuestBitmaps');
        rec.view = i;
        return opts.commit ? opts.commit() : undefined;
      },
      rollbackGuestView: async (i: GuestViewInput) => {
        note('rollbackGuestView');
        rec.view = i;
      },
    }),
  });
  let result: unknown;
  let error: unknown;
  await serverWorker.runUntil(
    agentWorker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(guestBackupWorkflow, {
        taskQueue: SERVER_TASK_QUEUE,
        workflowId: `backup/9/${Math.random().toString(36).slice(2)}`,
        args: [{ runId: 'run-2', jobId: 9, agentScheduleToStartMs: 60_000, engineHeartbeatTimeoutMs: 2_000 }],
      });
      if (opts.cancelWhileBackingUp) {
        await backingUpNow;
        await handle.cancel();
      }
      result = await handle.result().catch((e: unknown) => (error = e));
    }),
  );
  return { rec, result, error };
}

describe('GuestBackupWorkflow', () => {
  it('backs up from the parent, records the snapshot, then commits the bitmaps; the details carry the disks and the manifest', async () => {
    const { rec, result } = await runScenario({ backup: async () => stored });
    expect(rec.calls).toEqual(['prepareGuestBackup', 'backupGuestDisks', 'recordSnapshot', 'commitGuestBitmaps', 'finishRun', 'notify']);
    expect(rec.backup).toMatchObject({ runId: 'run-2', jobId: 9, parent, guest: { qmpSocket: '/run/qemu-server/100.qmp' } });
    expect(rec.view).toEqual({ runId: 'run-2', jobId: 9, parentRunId: 'run-1', guest: { qmpSocket: '/run/qemu-server/100.qmp', disks: [{ name: 'scsi0', node: 'drive-scsi0' }] } });
    expect(rec.finish).toMatchObject({
      status: 'succeeded',
      snapshotId: snapshot.id,
      warnings: [],
      details: { guest: { disks: [{ name: 'scsi0', size: 1 << 26, mode: 'reuse', reason: null, bytesRead: 196608 }], bytesRead: 196608, parentSnapshotId: parent.snapshotId, manifest } },
    });
    expect(result).toMatchObject({ status: 'succeeded', snapshotId: snapshot.id });
  });

  it('a snapshot whose bitmaps cannot be committed is kept, as a warning that the next backup reads everything', async () => {
    const { rec, result } = await runScenario({
      backup: async () => stored,
      commit: async () => {
        throw ApplicationFailure.create({ message: 'disk scsi0 lost the dirty bitmap', type: ErrorType.input, nonRetryable: true });
      },
    });
    expect(rec.calls).toEqual(['prepareGuestBackup', 'backupGuestDisks', 'recordSnapshot', 'commitGuestBitmaps', 'finishRun', 'notify']);
    expect(rec.finish).toMatchObject({ status: 'warning', snapshotId: snapshot.id, warnings: [expect.stringMatching(/^committing the dirty bitmaps \(the next backup reads the whole disk\) failed: .*lost the dirty bitmap/)] });
    expect(result).toMatchObject({ status: 'warning' });
  });

  it('a failed backup records nothing and rolls the view and bitmaps back, never committing them', async () => {
    const { rec, error } = await runScenario({
      backup: async () => {
        throw ApplicationFailure.create({ message: 'QEMU has no block node "drive-scsi0"', type: ErrorType.input, nonRetryable: true });
      },
    });
    expect(error).toBeDefined();
    expect(rec.calls).toEqual(['prepareGuestBackup', 'backupGuestDisks', 'rollbackGuestView', 'finishRun', 'notify']);
    expect(rec.view).toMatchObject({ runId: 'run-2', parentRunId: 'run-1' });
    expect(rec.finish).toMatchObject({ status: 'failed', snapshotId: null, failureReason: expect.stringContaining('QEMU has no block node') });
    expect(rec.finish?.details).toBeUndefined();
  });

  it('a cancelled run rolls back in its cleanup and ends cancelled', async () => {
    const { rec } = await runScenario({
      cancelWhileBackingUp: true,
      // Stops only when cancelled, as the real step does (it heartbeats and aborts on the signal).
      backup: async () => {
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(100);
        }
      },
    });
    expect(rec.calls).toEqual(['prepareGuestBackup', 'backupGuestDisks', 'rollbackGuestView', 'finishRun', 'notify']);
    expect(rec.finish).toMatchObject({ status: 'cancelled', snapshotId: null, failureReason: 'cancelled' });
  });
});
