// Activities that run on an agent (task queue agent.<name>): snapshot, engine, hooks.
// Built from a factory so the worker wires real dependencies and tests wire others.
import { Context, heartbeat } from '@temporalio/activity';
import type { SnapshotMode } from '../../contract/model';
import type { Logger } from '../../core/logger';
import type { BackupEngine, RepositoryAccess } from '../../contract/engine';
import type { EngineProcessRegistry } from '../shared/engines/orphans';
import { backupTags, resumeEarlierAttempt } from '../shared/engines/backup-step';
import type { SecretSource } from './secret-source';
import { providerFor, type SnapshotProvider } from './snapshot/provider';
import { hookEnv, type HookLimits } from '../shared/hooks/shell';
import { withFailureMapping } from '../shared/failure';
import { withClockHeartbeat } from '../shared/clock-heartbeat';
import { checkBackupPaths } from './backup-roots';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../shared/run-log-sink';
import { runStepHook } from '../shared/hooks/step-hook';
import type { SnapshotHandle } from '../../contract/snapshot';
import type { AgentActivities, BackupHeartbeat, BackupStepInput, BackupStepResult, PostHookInput, PostHookResult } from '../../contract/backup-activities';

export interface AgentDeps {
  agentName: string;
  engine: BackupEngine;
  secrets: SecretSource;
  snapshotProviders: SnapshotProvider[];
  engineProcesses: EngineProcessRegistry;
  logger: Logger;
  /** Where hook and engine lines go (the API); none discards them. */
  runLog?: RunLogTransport;
  /** Stall timeout and kill grace of post hooks. */
  hookLimits?: HookLimits;
  /** Where backup sources may lie (BACKSTOP_BACKUP_ROOTS); absent: anywhere. */
  backupRoots?: string[];
}

const HEARTBEAT_EVERY_MS = 1_000;
const HOOK_TIMEOUT_MS = 10 * 60_000;

export function createAgentActivities(deps: AgentDeps): AgentActivities {
  const { engine, secrets, logger } = deps;

  async function createSnapshot(input: { runId: string; mode: SnapshotMode; paths: string[] }): Promise<SnapshotHandle> {
    // An activity always runs for a workflow here; without one, the snapshot counts as orphaned at the next start.
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    await checkBackupPaths(input.paths, deps.backupRoots ?? ['/']);
    return providerFor(input.mode, deps.snapshotProviders).create({ runId: input.runId, workflowId, mode: input.mode, paths: input.paths });
  }

  async function releaseSnapshot(handle: SnapshotHandle): Promise<void> {
    await providerFor(handle.mode, deps.snapshotProviders).release(handle);
  }

  /**
   * Runs the engine once per run: a snapshot carrying the run tag from an earlier attempt
   * is adopted instead of writing a second one.
   */
  async function runBackup(input: BackupStepInput): Promise<BackupStepResult> {
    const ctx = Context.current();
    await checkBackupPaths(input.paths, deps.backupRoots ?? ['/']);
    const repo = { url: input.repository.url, ...(await secrets.repositoryAccess(input.repository.id)) };
    const log = logger.child({ runId: input.runId, workflowId: input.workflowId, attempt: ctx.info.attempt });

    const secretValues = [repo.password, ...Object.values(repo.env ?? {})];
    return withRunLog(deps.runLog, logger, input.runId, 'engine', (runLog) => backupWithLog(input, repo, log, runLog), secretValues);
  }

  async function backupWithLog(
    input: BackupStepInput,
    repo: RepositoryAccess,
    log: Logger,
    runLog: RunLogSink,
  ): Promise<BackupStepResult> {
    const ctx = Context.current();
    let latest: BackupHeartbeat = { phase: 'starting', progress: null };
    heartbeat(latest);
    // Heartbeat on a clock too: restic may be silent while it scans or waits for a lock.
    const ticker = setInterval(() => heartbeat(latest), HEARTBEAT_EVERY_MS);
    try {
      const earlier = await resumeEarlierAttempt(engine, deps.engineProcesses, repo, { workflowId: input.workflowId, attempt: ctx.info.attempt }, log);
      if (earlier) return { snapshot: earlier, stats: null, unreadable: [], adopted: true };

      latest = { phase: 'backing-up', progress: null };
      const outcome = await engine.backup(
        repo,
        { paths: input.paths, excludes: input.excludes, tags: backupTags(input.workflowId, input.jobId, input.extraTags), host: deps.agentName, binds: input.binds ?? [] },
        {
          signal: ctx.cancellationSignal,
          onSpawn: (pid) => deps.engineProcesses.record(input.workflowId, pid),
          onProgress: (progress) => {
            latest = { phase: 'backing-up', progress };
          },
          onLog: (stream, line) => runLog.line(stream, line),
        },
      );
      deps.engineProcesses.clear(input.workflowId);
      log.info({ snapshotId: outcome.snapshot.id, unreadable: outcome.unreadable.length }, 'backup finished');
      return { ...outcome, adopted: false };
    } finally {
      clearInterval(ticker);
    }
  }

  async function runPostHook(input: PostHookInput): Promise<PostHookResult> {
    return runStepHook(deps, {
      runId: input.runId,
      step: 'post-hook',
      command: input.command,
      env: hookEnv({
        runId: input.runId,
        jobId: input.jobId,
        jobName: input.jobName,
        agent: deps.agentName,
        runSuccess: input.success,
        snapshotId: input.snapshotId,
      }),
      timeoutMs: HOOK_TIMEOUT_MS,
      label: 'post hook',
    });
  }

  // runBackup heartbeats its own progress; the short steps heartbeat on a clock.
  return withFailureMapping({
    createSnapshot: withClockHeartbeat(createSnapshot),
    releaseSnapshot: withClockHeartbeat(releaseSnapshot),
    runBackup,
    runPostHook: withClockHeartbeat(runPostHook),
  });
}

