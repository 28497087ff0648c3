// GuestNbdExportWorkflow: a guest snapshot's disk restored into a new image file on an agent,
// then served there over NBD by a qemu-storage-daemon until released (issue 19, item 2): what
// Proxmox VE's backup-provider API restores by its `nbd` mechanism, or a hypervisor attaches
// for a live-restore.
//
//   the restore run:  check target (agent) ─▶ restore under the repository's shared lock
//                     ─▶ start the daemon ─▶ record (succeeded: the export is up) ─▶ notify
//   then:             holdGuestNbdExport (long, heartbeats while the daemon runs)
//                     ─▶ wait for: release update | TTL since exported | the hold failing
//                     ─▶ (hold failed: the agent or the daemon died) start again, same socket, same image
//                     ─▶ cancel the hold ─▶ releaseGuestNbdExport (always, non-cancellable)
//
// The run is a restore run that succeeds once the disk is exported; the export lives on
// after it, in this workflow, as a snapshot mount does (workflows/snapshot-mount.ts). A run
// that fails or is cancelled removes its half-written image; a released export keeps the
// image (the restore's result) and only the daemon, its socket and pid file go.
// Starting again is the workflow's, not Temporal's retry: the hold runs once per daemon, so
// the status shows the export `starting` while the agent is away and `exported` again (one
// more attempt) once the new daemon listens.
import { ActivityCancellationType, ApplicationFailure, CancellationScope, allHandlersFinished, condition, defineQuery, defineUpdate, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE, agentTaskQueue } from '../contract/names';
import { ExportMessage, ExportState, type ExportEndReason, type ExportWaitInput, type GuestNbdExportActivities, type GuestNbdExportInput, type GuestNbdExportStatus } from '../contract/guest-nbd-export';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import { failureReason } from './failure-reason';
import { waitBounded } from './mount-lifecycle';
import type { RestoreServerActivities, RestoreRunRef } from '../contract/restore-activities';
import type { GuestAgentActivities } from '../contract/guest-activities';

export const exportStatusUpdate = defineUpdate<GuestNbdExportStatus, [ExportWaitInput]>(ExportMessage.status);
export const releaseExportUpdate = defineUpdate<GuestNbdExportStatus, [ExportWaitInput]>(ExportMessage.release);
export const exportStatusQuery = defineQuery<GuestNbdExportStatus>(ExportMessage.query);

/** Daemon starts before the export is given up (the agent or its daemon keeps dying). */
const MAX_STARTS = 20;

const server = proxyActivities<RestoreServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

export async function guestNbdExportWorkflow(input: GuestNbdExportInput): Promise<GuestNbdExportStatus> {
  const { workflowId } = workflowInfo();
  const exportId = input.runId;
  const startedAt = new Date().toISOString();
  let state: ExportState = ExportState.starting;
  let target = input.target;
  let nbdUri: string | null = null;
  let pid = 0;
  let attempts = 0;
  let bytesRestored: number | null = null;
  let expiresAt: number | null = null;
  let endReason: ExportEndReason | null = null;
  let failure: string | null = null;
  let releaseAsked = false;

  const status = (): GuestNbdExportStatus => ({
    exportId,
    snapshotId: input.snapshot.id,
    disk: input.disk,
    target,
    writable: input.writable,
    state,
    nbdUri: state === ExportState.exported ? nbdUri : null,
    bytesRestored,
    attempts,
    expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    startedAt,
    endReason,
    failureReason: failure,
  });
  setHandler(exportStatusQuery, status);
  setHandler(exportStatusUpdate, async (w) => {
    await waitBounded(() => state === ExportState.exported || state === ExportState.ended, w.waitMs);
    return status();
  });
  setHandler(releaseExportUpdate, async (w) => {
    // Asked during the restore: taken once the export is up (cancel the run to stop the restore itself).
    releaseAsked = true;
    await waitBounded(() => state === ExportState.ended, w.waitMs);
    return status();
  });

  // A refused target (InputError) or a missing image (NotFoundError) is final: retrying cannot fix it.
  const agent = proxyActivities<GuestAgentActivities & GuestNbdExportActivities>(agentStepOptions(input.agentName, input, [ErrorType.input, ErrorType.notFound]));
  const engine = proxyActivities<GuestAgentActivities>({ ...agentEngineOptions(input.agentName, input), retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5, nonRetryableErrorTypes: [ErrorType.input] } });
  const hold = proxyActivities<GuestNbdExportActivities>({
    taskQueue: agentTaskQueue(input.agentName),
    // An export may be used for long; the heartbeat, not this, notices a dead agent.
    startToCloseTimeout: '30 days',
    heartbeatTimeout: input.engineHeartbeatTimeoutMs ?? 30_000,
    // The release waits until the agent has stopped the daemon.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // One attempt per daemon: a failed hold comes back here, which starts the daemon again and says so in the status.
    retry: { maximumAttempts: 1 },
  }).holdGuestNbdExport;

  const startDaemon = async () => {
    attempts++;
    const started = await agent.startGuestNbdExport({ exportId, image: target, name: input.disk, writable: input.writable });
    nbdUri = started.nbdUri;
    pid = started.pid;
    // The TTL counts from when the disk is first served, not from the request (the restore may take long).
    if (input.ttlMs !== null && expiresAt === null) expiresAt = Date.now() + input.ttlMs;
    state = ExportState.exported;
  };

  // Updates waiting for `ended` answer before the workflow closes; not cancellable, so a
  // cancelled export still closes with its status (the API shows how it ended, from the result).
  const answerWaitingUpdates = () => CancellationScope.nonCancellable(() => condition(allHandlersFinished));

  const ref: RestoreRunRef = { runId: input.runId, workflowId, jobId: input.snapshot.jobId, repositoryId: input.snapshot.repositoryId, agentName: input.agentName, engineSite: 'agent' };
  // Set once the agent accepted the target: from then on the image is this run's to remove if the run does not succeed.
  let ownImage: string | null = null;

  const run = await runEnvelope({
    where: input.agentName,
    body: async (_plan: undefined, { step }) => {
      const plan = await server.startRestoreRun(ref);
      fillRunAttributes({ kind: 'restore', jobId: input.snapshot.jobId, agentName: input.agentName, repositoryId: plan.repository.id });
      step('check-target');
      const checked = await agent.checkGuestRestoreTarget({ runId: input.runId, target: input.target, disk: input.disk });
      if (checked.kind !== 'image-file') throw ApplicationFailure.nonRetryable(`restore target ${checked.target} is a ${checked.kind}: an NBD export serves a new image file under the agent's restore roots`, ErrorType.input);
      target = checked.target;
      ownImage = checked.target;
      state = ExportState.restoring;
      step('restore');
      const repository = { id: plan.repository.id, url: plan.repository.url };
      // Shared lock: a prune may not delete the packs this restore is reading.
      const restored = await withRepositoryLock(plan.repository.id, 'shared', () =>
        engine.restoreGuestSnapshot({ runId: input.runId, workflowId, repository, snapshotId: input.snapshot.id, stageRoot: input.snapshot.paths[0] ?? '', disk: input.disk, target: checked }),
      );
      bytesRestored = restored.disks.reduce((n, d) => n + d.bytesWritten, 0);
      step('export');
      await startDaemon();
      return restored;
    },
    finish: async (_plan, { status: runStatus, reason, result }, { step }) => {
      if (runStatus !== 'succeeded') {
        state = ExportState.releasing;
        await agent.releaseGuestNbdExport({ exportId, removeImage: ownImage }).catch((err: unknown) => {
          failure = `could not clean up on the agent: ${failureReason(err, input.agentName)}`;
        });
      }
      step('record');
      await server.finishRestoreRun({
        runId: input.runId,
        status: runStatus,
        snapshotId: input.snapshot.id,
        warnings: [],
        failureReason: reason,
        details: {
          guest: {
            target,
            targetKind: ownImage === null ? null : 'image-file',
            disk: input.disk,
            requireApproval: false,
            approval: null,
            frozenAt: result?.frozenAt ?? null,
            disks: result?.disks ?? [],
            configFiles: [],
            nbdExport: { exportId, nbdUri: runStatus === 'succeeded' ? nbdUri : null, writable: input.writable, ttlSeconds: input.ttlMs === null ? null : input.ttlMs / 1000 },
          },
        },
      });
      await server.notifyRestore({ runId: input.runId, snapshotId: input.snapshot.id, agentName: input.agentName, status: runStatus, failureReason: reason });
    },
    rethrow: false,
  });

  if (run.status !== 'succeeded') {
    state = ExportState.ended;
    endReason = run.status === 'cancelled' ? 'cancelled' : 'failed';
    failure = run.status === 'cancelled' ? failure : (run.reason ?? failure);
    await answerWaitingUpdates();
    return status();
  }

  let holding = new CancellationScope();
  let held: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      let holdEnded = false;
      let holdFailure = 'the export daemon ended on its own';
      holding = new CancellationScope();
      held = holding
        .run(() => hold({ exportId, pid }))
        .then(
          () => undefined,
          (err: unknown) => {
            if (!isCancellation(err)) holdFailure = failureReason(err, input.agentName);
          },
        )
        .finally(() => {
          holdEnded = true;
        });
      const until = () => releaseAsked || holdEnded;
      const woke = expiresAt === null ? (await condition(until), true) : await condition(until, Math.max(0, expiresAt - Date.now()));
      if (releaseAsked) {
        endReason = 'released';
        break;
      }
      if (!woke) {
        endReason = 'expired';
        break;
      }
      // The agent or the daemon died: start it again, on the same socket and image.
      state = ExportState.starting;
      if (attempts >= MAX_STARTS) {
        endReason = 'failed';
        failure = `given up after ${attempts} daemon starts: ${holdFailure}`;
        break;
      }
      try {
        await startDaemon();
      } catch (err) {
        if (isCancellation(err)) throw err;
        endReason = 'failed';
        failure = failureReason(err, input.agentName);
        break;
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    endReason = 'cancelled';
  } finally {
    state = ExportState.releasing;
    await CancellationScope.nonCancellable(async () => {
      holding.cancel();
      await held;
      await agent.releaseGuestNbdExport({ exportId, removeImage: null }).catch((err: unknown) => {
        // An agent gone for good: its daemon is stopped by the next start of an attempt of this export, never by a new one.
        failure ??= `the daemon could not be stopped on agent "${input.agentName}": ${failureReason(err, input.agentName)}`;
      });
    });
    state = ExportState.ended;
  }
  await answerWaitingUpdates();
  return status();
}
