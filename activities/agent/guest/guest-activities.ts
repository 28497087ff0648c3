// The agent's guest backup steps (issue 19), on the QEMU host: the library pieces beside this
// file wired to Temporal — a QMP connection per step, the repository's secret from the API,
// heartbeats with the bytes read, a stall watch, the run log. Each step is safe to run again:
// a retried backup takes over the view its killed attempt froze and forgets that attempt's
// snapshot; commit and rollback only touch what is there.
import { existsSync, mkdirSync, rmSync, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join, posix } from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import type { Logger } from '../../../core/logger';
import type { BackupEngine, RepositoryAccess } from '../../../contract/engine';
import type { BackupProgress } from '../../../contract/model';
import { BackstopError, ErrorType } from '../../../contract/errors';
import { DEFAULT_GUEST_SEGMENT_BYTES, type GuestSource } from '../../../contract/guest';
import type {
  GuestAgentActivities,
  GuestBackupStepInput,
  GuestForgetInput,
  GuestForgetResult,
  GuestBackupStepResult,
  GuestHeartbeat,
  GuestRestoreHeartbeat,
  GuestRestoreResult,
  GuestRestoreStepInput,
  GuestRestoreTarget,
  GuestRestoreTargetInput,
  GuestViewInput,
} from '../../../contract/guest-activities';
import { runTag } from '../../../contract/names';
import type { EngineProcessRegistry } from '../../shared/engines/orphans';
import { backupTags } from '../../shared/engines/backup-step';
import { withFailureMapping } from '../../shared/failure';
import { whileReportingProgress, withClockHeartbeat } from '../../shared/clock-heartbeat';
import { StallWatch, formatBytes, stallReason } from '../../shared/stall-watch';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../../shared/run-log-sink';
import type { SecretSource } from '../secret-source';
import { checkBackupPaths, pathsOutsideRoots } from '../backup-roots';
import { backupGuest } from './guest-backup';
import { commitBitmaps, forgetJobBitmaps, GuestViewError, releaseView, rollbackBitmaps, type GuestDisk } from './guest-view';
import type { Qmp } from './qmp-client';
import { readManifest } from '../../shared/guest/guest-manifest';
import { restoreDiskImage } from '../../shared/guest/guest-restore';
import { checkGuestTarget } from './guest-restore-target';

export interface GuestActivityDeps {
  agentName: string;
  engine: BackupEngine;
  secrets: SecretSource;
  engineProcesses: EngineProcessRegistry;
  /** Per job: `<root>/<jobId>/stage` (kept between runs) and `<root>/<jobId>/runs/<runId>` (one run's overlays and socket). */
  workRoot: string;
  connectQmp: (socketPath: string) => Promise<Qmp>;
  createImage: (file: string, size: number) => Promise<void>;
  /** No bytes read nor engine progress for this long stops the attempt (StalledError, retried). */
  stallTimeoutMs: number;
  /** Absolute directories restores may write into (BACKSTOP_RESTORE_ROOTS); block devices are the one target outside them. */
  restoreRoots: string[];
  /** Where backup sources may lie (BACKSTOP_BACKUP_ROOTS): the QMP socket and the configuration files too; absent: anywhere. */
  backupRoots?: string[];
  logger: Logger;
  runLog?: RunLogTransport;
}

const HEARTBEAT_EVERY_MS = 1_000;

const disksOf = (g: GuestSource): GuestDisk[] => g.disks.map((d) => ({ name: d.name, node: d.node }));
const jobDir = (root: string, jobId: number) => join(root, String(jobId));
const runDir = (root: string, jobId: number, runId: string) => join(jobDir(root, jobId), 'runs', runId);

/** Progress in the engine's shape by bytes: a backup's bytes read of the bytes planned, a restore's bytes streamed back (zeros too) of the disks' size. */
export function readingProgress(bytesRead: number, bytesToRead: number, secondsElapsed: number): BackupProgress {
  return {
    percent: bytesToRead > 0 ? Math.min(100, (bytesRead / bytesToRead) * 100) : 0,
    filesDone: 0,
    filesTotal: 0,
    bytesDone: bytesRead,
    bytesTotal: bytesToRead,
    currentFile: null,
    secondsElapsed,
  };
}

/** The library's errors a retry cannot fix, typed so the run fails at once with the reason. */
export function typedGuestError(err: unknown): unknown {
  if (err instanceof GuestViewError && /^QEMU has no block node/.test(err.message)) return new BackstopError(ErrorType.input, `${err.message}: the job names a node this guest does not have (see query-named-block-nodes)`);
  return err;
}

/** The job's configuration files, all present before anything is frozen. */
export function checkConfigFiles(files: readonly string[], exists: (p: string) => boolean = existsSync): void {
  const missing = files.filter((f) => !exists(f));
  if (missing.length > 0) throw new BackstopError(ErrorType.sourceMissing, `guest configuration file${missing.length > 1 ? 's' : ''} not found on the agent: ${missing.join(', ')}`);
}

export function createGuestActivities(deps: GuestActivityDeps): GuestAgentActivities {
  const { engine, secrets, logger } = deps;

  async function withQmp<T>(socketPath: string, fn: (qmp: Qmp) => Promise<T>): Promise<T> {
    // A socket is a source like any other: the agent speaks QMP only to sockets under its backup roots.
    await checkBackupPaths([socketPath], deps.backupRoots ?? ['/']);
    // No retry starts a guest that is not running: fail the run at once, saying so.
    if (!existsSync(socketPath)) throw new BackstopError(ErrorType.sourceMissing, `no QMP socket at ${socketPath} on this host: is the guest running?`);
    // One connection per step: QEMU serves one QMP client per socket at a time.
    const qmp = await deps.connectQmp(socketPath);
    try {
      return await fn(qmp);
    } catch (err) {
      throw typedGuestError(err);
    } finally {
      qmp.close();
    }
  }

  async function backupGuestDisks(input: GuestBackupStepInput): Promise<GuestBackupStepResult> {
    const repo = { url: input.repository.url, ...(await secrets.repositoryAccess(input.repository.id)) };
    const secretValues = [repo.password, ...Object.values(repo.env ?? {})];
    return withRunLog(deps.runLog, logger, input.runId, 'engine', (runLog) => backupWithLog(input, repo, runLog), secretValues);
  }

  async function backupWithLog(input: GuestBackupStepInput, repo: RepositoryAccess, runLog: RunLogSink): Promise<GuestBackupStepResult> {
    const ctx = Context.current();
    const log = logger.child({ runId: input.runId, workflowId: input.workflowId, attempt: ctx.info.attempt });
    const started = Date.now();
    let latest: GuestHeartbeat = { phase: 'starting', progress: null };
    let bytesRead = 0;
    let bytesToRead = 0;
    let engineProgress: BackupProgress | null = null;
    const beat = () => {
      if (latest.phase === 'reading') latest = { phase: 'reading', progress: readingProgress(bytesRead, bytesToRead, (Date.now() - started) / 1000) };
      heartbeat(latest);
    };
    beat();
    const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);

    // Stops on cancellation and on a stall alike; the stall watch counts bytes read from the
    // disks and the engine's progress, so a hung NBD read or QMP command is noticed too.
    const abort = new AbortController();
    const onCancel = () => abort.abort(ctx.cancellationSignal.reason);
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    if (ctx.cancellationSignal.aborted) onCancel();
    let stalled: string | null = null;
    const watch = new StallWatch({
      timeoutMs: deps.stallTimeoutMs,
      sample: () => `${latest.phase}:${bytesRead}:${engineProgress?.bytesDone ?? 0}:${engineProgress?.filesDone ?? 0}`,
      onStall: (ms) => {
        stalled = stallReason('guest backup', ms, latest.phase === 'storing' && engineProgress ? `${formatBytes(engineProgress.bytesDone)} stored` : `${formatBytes(bytesRead)} read`);
        abort.abort(new Error(stalled));
      },
    }).start();

    try {
      await checkBackupPaths(input.guest.configFiles ?? [], deps.backupRoots ?? ['/']);
      checkConfigFiles(input.guest.configFiles ?? []);
      if (ctx.info.attempt > 1) {
        // A killed attempt's restic may still run, or have left its lock: this attempt forgets that attempt's snapshot.
        const stopped = await deps.engineProcesses.stopLeftover(input.workflowId, runTag(input.workflowId));
        if (stopped) log.warn({ pid: stopped }, 'stopped engine process left by an earlier attempt');
        await engine.unlockStale(repo);
      }
      const result = await withQmp(input.guest.qmpSocket, (qmp) =>
        backupGuest({
          jobId: input.jobId,
          runId: input.runId,
          parent: input.parent,
          disks: disksOf(input.guest),
          configFiles: input.guest.configFiles ?? [],
          source: input.guest,
          segmentBytes: input.guest.segmentBytes ?? DEFAULT_GUEST_SEGMENT_BYTES,
          stageRoot: join(jobDir(deps.workRoot, input.jobId), 'stage'),
          workDir: runDir(deps.workRoot, input.jobId, input.runId),
          qmp,
          engine,
          repo,
          host: deps.agentName,
          tags: backupTags(input.workflowId, input.jobId),
          control: {
            signal: abort.signal,
            onSpawn: (pid) => deps.engineProcesses.record(input.workflowId, pid),
            onProgress: (p) => {
              engineProgress = p;
              latest = { phase: 'storing', progress: p };
            },
            onLog: (stream, line) => runLog.line(stream, line),
          },
          createImage: deps.createImage,
          onReadPlan: (bytes) => {
            // A second pass (the engine did not carry the segments over) reads again from zero.
            bytesToRead = bytes;
            bytesRead = 0;
            latest = { phase: 'reading', progress: null };
          },
          onDiskRead: (n) => (bytesRead += n),
          onPhase: (phase, ms) => runLog.line('stdout', `guest ${phase}: ${ms} ms`),
        }),
      );
      deps.engineProcesses.clear(input.workflowId);
      for (const d of result.manifest.disks) {
        runLog.line('stdout', `disk ${d.name}: bitmap ${d.mode}${d.reason ? ` (${d.reason})` : ''}, ${formatBytes(d.bytesRead)} read`);
      }
      log.info({ snapshotId: result.snapshot.id, bytesRead: result.bytesRead }, 'guest backup stored');
      return { snapshot: result.snapshot, stats: result.stats, manifest: result.manifest, bytesRead: result.bytesRead };
    } catch (err) {
      if (stalled) throw new BackstopError(ErrorType.stalled, stalled);
      throw err;
    } finally {
      watch.stop();
      clearInterval(ticker);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  }

  async function commitGuestBitmaps(input: GuestViewInput): Promise<void> {
    await withQmp(input.guest.qmpSocket, (qmp) => commitBitmaps(qmp, { jobId: input.jobId, runId: input.runId, disks: disksOf(input.guest) }));
    rmSync(runDir(deps.workRoot, input.jobId, input.runId), { recursive: true, force: true });
  }

  async function rollbackGuestView(input: GuestViewInput): Promise<void> {
    const workDir = runDir(deps.workRoot, input.jobId, input.runId);
    // A socket outside the backup roots was never spoken to: nothing to roll back there.
    if (pathsOutsideRoots([input.guest.qmpSocket], deps.backupRoots ?? ['/']).length > 0) return;
    // A QEMU that is gone holds no view; a bitmap of this run it saved in the image is merged
    // into the base by the next backup's freeze (bitmap-plan.ts: leftovers of unfinished runs).
    if (!existsSync(input.guest.qmpSocket)) {
      logger.warn({ runId: input.runId, qmpSocket: input.guest.qmpSocket }, 'guest not running: no view to release');
      rmSync(workDir, { recursive: true, force: true });
      return;
    }
    await withQmp(input.guest.qmpSocket, async (qmp) => {
      await releaseView(qmp, { runId: input.runId, disks: disksOf(input.guest), workDir });
      await rollbackBitmaps(qmp, { jobId: input.jobId, runId: input.runId, parentRunId: input.parentRunId, disks: disksOf(input.guest) });
    });
    rmSync(workDir, { recursive: true, force: true });
  }

  async function checkGuestRestoreTarget(input: GuestRestoreTargetInput): Promise<GuestRestoreTarget> {
    return checkGuestTarget({ target: input.target, disk: input.disk, roots: deps.restoreRoots });
  }

  /**
   * Each disk streamed from the repository straight into its place (restic dump, no scratch
   * copy), then the configuration files. A retry writes everything again: the same bytes at
   * the same offsets, so it converges.
   */
  async function restoreGuestSnapshot(input: GuestRestoreStepInput): Promise<GuestRestoreResult> {
    // Checked again right before writing: the target may have been swapped for a symlink while the run waited.
    const checked = await checkGuestTarget({ target: input.target.target, disk: input.disk, roots: deps.restoreRoots, resumed: true });
    if (checked.target !== input.target.target || checked.kind !== input.target.kind) throw new BackstopError(ErrorType.input, `restore target ${input.target.target} now resolves to ${checked.target} (${checked.kind}); refusing`);
    const repo = { url: input.repository.url, ...(await secrets.repositoryAccess(input.repository.id)) };
    const secretValues = [repo.password, ...Object.values(repo.env ?? {})];
    return withRunLog(deps.runLog, logger, input.runId, 'restore', (runLog) => restoreWithLog(input, repo, runLog), secretValues);
  }

  async function restoreWithLog(input: GuestRestoreStepInput, repo: RepositoryAccess, runLog: RunLogSink): Promise<GuestRestoreResult> {
    const signal = Context.current().cancellationSignal;
    const started = Date.now();
    let latest: GuestRestoreHeartbeat = { phase: 'starting', disk: null, bytesWritten: 0, progress: null };
    return whileReportingProgress(() => latest, async () => {
      const manifest = await readManifest(engine, repo, input.snapshotId, input.stageRoot, signal);
      const names = input.disk === null ? manifest.disks.map((d) => d.name) : [input.disk];
      const bytesTotal = manifest.disks.filter((d) => names.includes(d.name)).reduce((n, d) => n + d.size, 0);
      let bytesStreamed = 0;
      const report = (disk: string, bytesWritten: number) => {
        latest = { phase: 'restoring', disk, bytesWritten, progress: readingProgress(bytesStreamed, bytesTotal, (Date.now() - started) / 1000) };
      };
      if (input.target.kind === 'directory') mkdirSync(input.target.target, { recursive: true, mode: 0o700 });
      const disks: GuestRestoreResult['disks'] = [];
      let bytesWritten = 0;
      for (const name of names) {
        const file = input.target.kind === 'directory' ? join(input.target.target, `${name}.raw`) : input.target.target;
        report(name, bytesWritten);
        const restored = await restoreDiskImage(engine, repo, input.snapshotId, manifest, name, file, {
          signal,
          onLog: (stream, line) => runLog.line(stream, line),
          onWritten: (n) => {
            bytesWritten += n;
          },
          onStreamed: (n) => {
            bytesStreamed += n;
            report(name, bytesWritten);
          },
        });
        const size = manifest.disks.find((d) => d.name === name)!.size;
        runLog.line('stdout', `disk ${name}: ${restored.segments} segments, ${formatBytes(restored.bytesWritten)} written into ${file}`);
        disks.push({ name, size, file, segments: restored.segments, bytesWritten: restored.bytesWritten });
      }
      const configFiles: string[] = [];
      if (input.target.kind === 'directory' && manifest.config.length > 0) {
        const dir = join(input.target.target, 'config');
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        for (const c of manifest.config) {
          const out = join(dir, posix.basename(c.path));
          const stream = createWriteStream(out, { mode: 0o600 });
          try {
            await engine.dumpFile(repo, input.snapshotId, posix.join(manifest.stageRoot, 'config', c.path), stream, signal);
          } catch (err) {
            stream.destroy();
            throw err;
          }
          stream.end();
          await finished(stream);
          configFiles.push(out);
        }
      }
      return { frozenAt: manifest.frozenAt, disks, configFiles };
    });
  }

  async function forgetGuestJob(input: GuestForgetInput): Promise<GuestForgetResult> {
    const dir = jobDir(deps.workRoot, input.jobId);
    const workDirRemoved = existsSync(dir);
    rmSync(dir, { recursive: true, force: true });
    const socket = input.guest.qmpSocket;
    // A stopped guest's persistent bitmaps stay in its images: nothing here can reach them.
    if (pathsOutsideRoots([socket], deps.backupRoots ?? ['/']).length > 0 || !existsSync(socket)) {
      logger.warn({ jobId: input.jobId, qmpSocket: socket }, 'deleted guest job: guest not running, its dirty bitmaps stay in its images');
      return { bitmapsRemoved: [], guestRunning: false, workDirRemoved };
    }
    const bitmapsRemoved = await withQmp(socket, (qmp) => forgetJobBitmaps(qmp, input.jobId, disksOf(input.guest)));
    logger.info({ jobId: input.jobId, bitmapsRemoved, workDirRemoved }, 'deleted guest job cleaned up on this agent');
    return { bitmapsRemoved, guestRunning: true, workDirRemoved };
  }

  // backupGuestDisks heartbeats its own progress, restores their bytes written; the short steps heartbeat on a clock.
  return withFailureMapping({
    backupGuestDisks,
    commitGuestBitmaps: withClockHeartbeat(commitGuestBitmaps),
    rollbackGuestView: withClockHeartbeat(rollbackGuestView),
    checkGuestRestoreTarget: withClockHeartbeat(checkGuestRestoreTarget),
    restoreGuestSnapshot,
    forgetGuestJob: withClockHeartbeat(forgetGuestJob),
  });
}
