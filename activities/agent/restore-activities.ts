// Restore activities that run on the TARGET agent (task queue agent.<name>): check the
// target against the agent's allowed roots, run the engine's restore with heartbeats, and
// the post-restore hook. Built from a factory like activities/agent/backup-activities.ts.
import { Context } from '@temporalio/activity';
import type { Logger } from '../../core/logger';
import type { BackupEngine, RepositoryAccess, RestoreSummary } from '../../contract/engine';
import type { EngineProcessRegistry } from '../shared/engines/orphans';
import type { SecretSource } from './secret-source';
import { hookEnv, type HookLimits } from '../shared/hooks/shell';
import { withFailureMapping } from '../shared/failure';
import { whileReportingProgress, withClockHeartbeat } from '../shared/clock-heartbeat';
import { checkIncludes, recheckRestoreTarget, resolveRestoreTarget } from '../shared/restore-target';
import { type RestorePlanStore, discardTouchedWrites, needsResumePlan } from './restore-resume-plan';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../shared/run-log-sink';
import { runStepHook } from '../shared/hooks/step-hook';
import type { RestoreHeartbeat, RestoreHookInput, RestoreStepInput, RestoreTargetInput, RestoreTargetResult, RestoreAgentActivities } from '../../contract/restore-activities';

export interface RestoreAgentDeps {
  agentName: string;
  engine: BackupEngine;
  secrets: SecretSource;
  /** Absolute directories restores may write into (BACKSTOP_RESTORE_ROOTS). */
  restoreRoots: string[];
  engineProcesses: EngineProcessRegistry;
  /** Where in-place `never`/`if-newer` restores keep the plan a retried attempt resumes from. */
  restorePlans: RestorePlanStore;
  logger: Logger;
  now?: () => Date;
  /** Where hook and engine lines go (the API); none discards them. */
  runLog?: RunLogTransport;
  /** Stall timeout and kill grace of post-restore hooks. */
  hookLimits?: HookLimits;
}

const HOOK_TIMEOUT_MS = 10 * 60_000;

export function createRestoreActivities(deps: RestoreAgentDeps): RestoreAgentActivities {
  const { engine, secrets, logger } = deps;
  const now = deps.now ?? (() => new Date());

  /** Refuses, before anything is written, a target outside the allowed roots or an include that leaves the snapshot. */
  async function checkRestoreTarget(input: RestoreTargetInput): Promise<RestoreTargetResult> {
    const include = checkIncludes(input.include, input.snapshotPaths);
    const resolved = await resolveRestoreTarget({ target: input.target, roots: deps.restoreRoots, snapshotId: input.snapshotId, now: now() });
    return { target: resolved.path, existed: resolved.existed, include };
  }

  /**
   * Re-running into the same target converges: restic skips files already correct, so a
   * retry after a crash of this worker runs the restore again. Policies that keep existing
   * files first discard what a killed attempt half-wrote (see resume-plan.ts).
   */
  async function runRestore(input: RestoreStepInput): Promise<RestoreSummary> {
    const ctx = Context.current();
    const log = logger.child({ runId: input.runId, workflowId: input.workflowId, attempt: ctx.info.attempt });

    const include = checkIncludes(input.include, input.snapshotPaths);
    await recheckRestoreTarget({ target: input.target, roots: deps.restoreRoots, snapshotId: input.snapshotId, now: now() });

    // The password (and S3 keys) come from the API with this agent's own token; the API hands
    // them out while this agent has an active restore run of the repository.
    const repo = { url: input.repository.url, ...(await secrets.repositoryAccess(input.repository.id)) };
    const secretValues = [repo.password, ...Object.values(repo.env ?? {})];
    return withRunLog(deps.runLog, logger, input.runId, 'restore', (runLog) => restoreWithLog(input, include, repo, log, runLog), secretValues);
  }

  async function restoreWithLog(input: RestoreStepInput, include: string[], repo: RepositoryAccess, log: Logger, runLog: RunLogSink): Promise<RestoreSummary> {
    const ctx = Context.current();
    let latest: RestoreHeartbeat = { phase: 'starting', progress: null };
    // On a clock too: restic is silent while it loads the index.
    return whileReportingProgress(() => latest, async () => {
      // A restic left running by a killed worker would write the same files concurrently.
      const stopped = await deps.engineProcesses.stopLeftover(input.workflowId, input.target);
      if (stopped) {
        log.warn({ pid: stopped }, 'stopped restore process left by an earlier attempt');
        await engine.unlockStale(repo);
      }
      const options = { include, overwrite: input.overwrite ?? undefined, verify: input.verify };
      if (needsResumePlan(input.overwrite)) {
        const plan = await deps.restorePlans.load(input.workflowId);
        if (plan && plan.target === input.target) {
          latest = { phase: 'resuming', progress: null };
          const removed = await discardTouchedWrites(plan);
          if (removed > 0) log.warn({ removed }, 'removed files an earlier attempt left half-written; restoring them again');
        } else {
          latest = { phase: 'planning', progress: null };
          const plannedAtMs = Date.now();
          const writes = await engine.planRestore(repo, input.snapshotId, input.target, options);
          await deps.restorePlans.save(input.workflowId, { plannedAtMs, target: input.target, writes });
        }
      }
      latest = { phase: 'restoring', progress: null };
      const summary = await engine.restore(
        repo,
        input.snapshotId,
        input.target,
        {
          signal: ctx.cancellationSignal,
          onSpawn: (pid) => deps.engineProcesses.record(input.workflowId, pid),
          onProgress: (progress) => {
            latest = { phase: 'restoring', progress };
          },
          onLog: (stream, line) => runLog.line(stream, line),
        },
        options,
      );
      deps.engineProcesses.clear(input.workflowId);
      await deps.restorePlans.remove(input.workflowId);
      log.info({ target: input.target, filesRestored: summary.filesRestored, filesSkipped: summary.filesSkipped }, 'restore finished');
      return summary;
    });
  }

  async function runRestoreHook(input: RestoreHookInput): Promise<{ exitCode: number | null; output: string[] }> {
    return runStepHook(deps, {
      runId: input.runId,
      step: 'restore-hook',
      command: input.command,
      env: hookEnv({
        runId: input.runId,
        kind: 'restore',
        agent: deps.agentName,
        runSuccess: input.success,
        snapshotId: input.snapshotId,
        restoreTarget: input.target,
      }),
      timeoutMs: HOOK_TIMEOUT_MS,
      label: 'post-restore hook',
    });
  }

  // runRestore heartbeats its own progress; the short steps heartbeat on a clock.
  return withFailureMapping({ checkRestoreTarget: withClockHeartbeat(checkRestoreTarget), runRestore, runRestoreHook: withClockHeartbeat(runRestoreHook) });
}

