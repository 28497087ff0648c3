// Activities of the S3 sync (task queue backstop.server): mirror a local repository to
// its S3 sync target with rclone, verify the mirror by listing both sides, record the run.
// The workflow passes ids only; the target's keys are opened here, from the catalog, and
// reach rclone through its environment.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rcloneBinary } from '../../../core/config';
import { Context, heartbeat } from '@temporalio/activity';
import type { Logger } from '../../../core/logger';
import type { SecretBox } from '../../../core/secrets';
import { BackstopError, ErrorType, InputError } from '../../../contract/errors';
import { parseS3Credentials, repositorySyncContext } from '../../../core/s3';
import { runTag } from '../../../contract/names';
import type { Catalog } from '../../../catalog/catalog';
import type { EngineProcessRegistry } from '../../shared/engines/orphans';
import { scrub } from '../../shared/scrub-error';
import { runProcess, type RunResult } from '../../shared/process';
import { withFailureMapping } from '../../shared/failure';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../../shared/run-log-sink';
import { formatBytes, stallReason } from '../../shared/stall-watch';
import { listArgs, localPath, rcloneEnv, remotePath, syncArgs, type SyncTargetAccess } from './rclone';
import { classifyRcloneFailure, compareListings, describeMismatch, errorLines, parseListing, parseSyncLine, type SyncEvent } from './parse';
import type { SyncStats, S3SyncActivities, FinishS3SyncInput, S3SyncHeartbeat, S3SyncOutcome, S3SyncPlan, S3SyncVerification } from '../../../contract/sync-activities';
import { SILENT_NOTIFIER, type RunNotifier } from '../notify/notifier';

export interface S3SyncDeps {
  catalog: Catalog;
  secrets: SecretBox;
  logger: Logger;
  processes: EngineProcessRegistry;
  /** After this long without a heartbeat the sync step is presumed dead and retried. */
  heartbeatTimeoutMs: number;
  rcloneBinary?: string;
  /** Where rclone's log lines go (the catalog, redacted); none discards them. */
  runLog?: RunLogTransport;
  /** A sync whose bytes and objects have not moved for this long is stopped as stalled (BACKSTOP_STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number;
  /** Between SIGINT and SIGKILL when rclone is stopped (BACKSTOP_CANCEL_GRACE_MS). */
  killGraceMs?: number;
  /** Raises run events (started, ended, awaiting approval) to the notification rules; none sends nothing. */
  notifier?: RunNotifier;
}

const DEFAULT_STALL_TIMEOUT_MS = 10 * 60_000;

/** Movement of a sync: bytes and objects uploaded, checked, deleted or listed; never the clock. */
export function syncFingerprint(s: SyncStats | null): string {
  return s ? `${s.bytes}/${s.transfers}/${s.checks}/${s.deletes}/${s.listed}` : '';
}

export function describeSyncProgress(s: SyncStats): string {
  return `${s.transfers.toLocaleString('en-US')} objects / ${formatBytes(s.bytes)} uploaded, ${s.checks.toLocaleString('en-US')} checked`;
}

const HEARTBEAT_EVERY_MS = 1_000;
const EXAMPLES_KEPT = 20;

export function createS3SyncActivities(deps: S3SyncDeps): S3SyncActivities {
  const { catalog, secrets, logger } = deps;
  const binary = deps.rcloneBinary ?? rcloneBinary();

  /** The repository directory and the target with its keys, opened at the moment of use. */
  async function access(repositoryId: number): Promise<{ dir: string; target: SyncTargetAccess; settings: Awaited<ReturnType<Catalog['repositories']['syncTarget']>> }> {
    const repo = await catalog.repositories.get(repositoryId);
    if (repo.url.startsWith('s3:')) {
      throw new InputError(`repository ${repo.name} is on S3 already; only repositories on a local path can be synced to S3`);
    }
    const t = await catalog.repositories.syncTarget(repositoryId);
    const keys = parseS3Credentials(secrets.open(t.credentialsSealed, repositorySyncContext(repositoryId)));
    return {
      dir: repo.url,
      target: { endpoint: t.endpoint, bucket: t.bucket, prefix: t.prefix, region: t.region, accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
      settings: t,
    };
  }

  async function rclone(args: string[], target: SyncTargetAccess, what: string, extra: Parameters<typeof runProcess>[2] = {}): Promise<{ result: RunResult; events: SyncEvent[] }> {
    const events: SyncEvent[] = [];
    let lastStats: SyncStats | null = null;
    const result = await runProcess(binary, args, {
      killGraceMs: deps.killGraceMs,
      ...extra,
      env: rcloneEnv(target),
      onStderrLine: (line) => {
        const e = parseSyncLine(line);
        if (e.kind === 'stats') lastStats = e.stats;
        extra.onStderrLine?.(line);
        // Stats lines are folded into progress by the caller; keep only what explains a failure.
        if (e.kind !== 'stats') events.push(e);
        if (events.length > 200) events.shift();
      },
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new BackstopError(ErrorType.input, `rclone binary not found: ${binary}`);
      throw e;
    });
    if (result.aborted) throw new BackstopError(ErrorType.engine, `${what}: cancelled`);
    if (result.stalled) throw new BackstopError(ErrorType.stalled, stallReason(what, result.stalledForMs, lastStats ? describeSyncProgress(lastStats) : null));
    if (result.exitCode !== 0) {
      throw scrub(classifyRcloneFailure(result.exitCode, errorLines(events), what), [target.secretAccessKey, target.accessKeyId]);
    }
    return { result, events };
  }

  async function prepareS3Sync(input: { runId: string; repositoryId: number; workflowId: string }): Promise<S3SyncPlan> {
    await catalog.runs.markRunning({ id: input.runId, kind: 's3-sync', jobId: null, workflowId: input.workflowId, repositoryId: input.repositoryId });
    await (deps.notifier ?? SILENT_NOTIFIER).runEvent(input.runId, 'run.started');
    const repo = await catalog.repositories.get(input.repositoryId);
    const { settings } = await access(input.repositoryId);
    return {
      repositoryId: repo.id,
      repositoryName: repo.name,
      target: { endpoint: settings.endpoint, bucket: settings.bucket, prefix: settings.prefix },
      heartbeatTimeoutMs: deps.heartbeatTimeoutMs,
    };
  }

  /**
   * One rclone sync. A retried attempt (after a crash, or a failed upload) first stops the
   * rclone a killed worker may have left, then simply syncs again: objects already in the
   * bucket are compared and skipped, so only what is missing is uploaded.
   */
  async function runS3Sync(input: { runId: string; workflowId: string; repositoryId: number }): Promise<S3SyncOutcome> {
    const ctx = Context.current();
    const marker = runTag(input.workflowId);
    const log = logger.child({ runId: input.runId, workflowId: input.workflowId, attempt: ctx.info.attempt });
    let latest: S3SyncHeartbeat = { phase: 'starting', stats: null };
    heartbeat(latest);
    // Heartbeat on a clock: rclone is silent while it lists a large bucket.
    const ticker = setInterval(() => heartbeat(latest), HEARTBEAT_EVERY_MS);
    try {
      const stopped = await deps.processes.stopLeftover(input.workflowId, marker);
      if (stopped) log.warn({ pid: stopped }, 'stopped rclone left by an earlier attempt');
      const { dir, target, settings } = await access(input.repositoryId);
      return await withRunLog(deps.runLog, logger, input.runId, 's3-sync', (runLog) => syncWithLog(dir, target, settings, runLog), [target.accessKeyId, target.secretAccessKey]);
    } finally {
      clearInterval(ticker);
    }

    async function syncWithLog(dir: string, target: SyncTargetAccess, settings: Awaited<ReturnType<Catalog['repositories']['syncTarget']>>, runLog: RunLogSink): Promise<S3SyncOutcome> {
      if (!existsSync(join(dir, 'config')) || !statSync(dir).isDirectory()) {
        throw new BackstopError(ErrorType.repositoryMissing, `no repository at ${dir} on the server`);
      }
      latest = { phase: 'syncing', stats: null };
      // The last stats line rclone prints is its summary.
      const last: { stats: SyncStats | null } = { stats: null };
      await rclone(
        syncArgs(dir, target, { bandwidthLimit: settings.bandwidthLimit, transfers: settings.transfers, checksum: settings.checksum, marker }),
        target,
        'rclone sync',
        {
          signal: ctx.cancellationSignal,
          onSpawn: (pid) => deps.processes.record(input.workflowId, pid),
          // rclone prints its stats every second even when nothing moves: only the numbers count.
          stall: { timeoutMs: deps.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, fingerprint: () => syncFingerprint(last.stats) },
          onStderrLine: (line) => {
            const e = parseSyncLine(line);
            if (e.kind === 'stats') {
              last.stats = e.stats;
              latest = { phase: 'syncing', stats: e.stats };
            } else if (e.kind === 'log') runLog.line('stderr', `${e.level}: ${e.message}`);
            else if (e.line.trim() !== '') runLog.line('stderr', e.line);
          },
        },
      );
      deps.processes.clear(input.workflowId);
      const s = last.stats;
      const outcome: S3SyncOutcome = {
        objectsTransferred: s?.transfers ?? 0,
        bytesTransferred: s?.bytes ?? 0,
        objectsChecked: s?.checks ?? 0,
        objectsDeleted: s?.deletes ?? 0,
        elapsedSeconds: s?.elapsedSeconds ?? 0,
        attempt: ctx.info.attempt,
      };
      log.info(outcome, 'rclone sync finished');
      return outcome;
    }
  }

  /** Lists the repository and the bucket and compares paths and sizes. */
  async function verifyS3Sync(input: { repositoryId: number }): Promise<S3SyncVerification> {
    const ctx = Context.current();
    heartbeat({ phase: 'listing', stats: null } satisfies S3SyncHeartbeat);
    const ticker = setInterval(() => heartbeat({ phase: 'listing', stats: null } satisfies S3SyncHeartbeat), HEARTBEAT_EVERY_MS);
    try {
      const { dir, target } = await access(input.repositoryId);
      const list = async (location: string) =>
        parseListing((await rclone(listArgs(location), target, 'rclone lsjson', { captureStdout: true, signal: ctx.cancellationSignal })).result.stdout);
      const [local, remote] = await Promise.all([list(localPath(dir)), list(remotePath(target))]);
      const c = compareListings(local, remote);
      return {
        ...c,
        missing: c.missing.slice(0, EXAMPLES_KEPT),
        sizeMismatch: c.sizeMismatch.slice(0, EXAMPLES_KEPT),
        extra: c.extra.slice(0, EXAMPLES_KEPT),
        missingCount: c.missing.length,
        sizeMismatchCount: c.sizeMismatch.length,
        extraCount: c.extra.length,
        summary: describeMismatch(c),
      };
    } finally {
      clearInterval(ticker);
    }
  }

  async function finishS3Sync(input: FinishS3SyncInput): Promise<void> {
    await catalog.runs.finish({ id: input.runId, status: input.status, snapshotId: null, stats: null, warnings: input.warnings, failureReason: input.failureReason, details: input.details });
    const level = input.status === 'failed' ? 'error' : input.status === 'warning' ? 'warn' : 'info';
    logger[level]({ notification: 'run-finished', kind: 's3-sync', runId: input.runId, status: input.status, failureReason: input.failureReason }, `S3 sync: ${input.status}`);
    await (deps.notifier ?? SILENT_NOTIFIER).runEnded(input.runId);
  }

  return withFailureMapping({ prepareS3Sync, runS3Sync, verifyS3Sync, finishS3Sync });
}

