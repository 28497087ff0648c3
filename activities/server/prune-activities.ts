// Server activities of a prune run (task queue backstop.server): the server worker opens
// the repository itself (activities/server/repository-access.ts), applies each job's retention
// policy with restic forget, prunes, and brings the catalog in line with the repository.
// A check run (workflows/check.ts) uses the same worker to run the engine's check.
import { Context, heartbeat } from '@temporalio/activity';
import type { Catalog } from '../../catalog/catalog';
import type { Logger } from '../../core/logger';
import type { RetentionPolicy } from '../../contract/retention';
import type { SecretBox } from '../../core/secrets';
import { JOB_TAG_PREFIX, runTag } from '../../contract/names';
import { engineOf, type BackupEngine, type PruneOutcome } from '../../contract/engine';
import { hookEnv, type HookLimits } from '../shared/hooks/shell';
import { withFailureMapping } from '../shared/failure';
import { openRepository } from './repository-access';
import { requireCapability } from '../../contract/engine-capabilities';
import { withRunLog, type RunLogTransport } from '../shared/run-log-sink';
import { runStepHook } from '../shared/hooks/step-hook';
import type { HookResult } from '../../contract/backup-activities';
import { SILENT_NOTIFIER, type RunNotifier } from './notify/notifier';
import type { CatalogSyncResult, CheckOutcome, CheckPlan, FinishMaintenanceRunInput, ForgetJobResult, PrunePlan, MaintenanceActivities } from '../../contract/prune-activities';

export interface MaintenanceDeps {
  catalog: Catalog;
  engine: BackupEngine;
  secrets: SecretBox;
  logger: Logger;
  /** Where restic's and the script's lines go (the catalog, redacted); none discards them. */
  runLog?: RunLogTransport;
  /** Stall timeout and kill grace of post-prune scripts. */
  hookLimits?: HookLimits;
  /** Raises run events (started, ended, awaiting approval) to the notification rules; none sends nothing. */
  notifier?: RunNotifier;
}

const HEARTBEAT_EVERY_MS = 1_000;
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

/** Heartbeats on a clock while `fn` runs: restic says nothing while it works. */
async function heartbeating<T>(phase: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  heartbeat({ phase });
  const ticker = setInterval(() => heartbeat({ phase }), HEARTBEAT_EVERY_MS);
  try {
    return await fn(ctx.cancellationSignal);
  } finally {
    clearInterval(ticker);
  }
}

export function createMaintenanceActivities(deps: MaintenanceDeps): MaintenanceActivities {
  const { catalog, engine, secrets, logger } = deps;
  const notifier = deps.notifier ?? SILENT_NOTIFIER;

  /**
   * restic's lines into the run log. Runs recorded before the run log existed schedule
   * these steps without a run id: their lines are not kept.
   */
  function logged<T>(runId: string | undefined, step: 'forget' | 'prune' | 'check', repo: { password: string; env?: Record<string, string> }, fn: (onLog: (s: 'stdout' | 'stderr', l: string) => void) => Promise<T>): Promise<T> {
    if (!runId) return fn(() => {});
    return withRunLog(deps.runLog, logger, runId, step, (runLog) => fn((s, l) => runLog.line(s, l)), [repo.password, ...Object.values(repo.env ?? {})]);
  }

  async function preparePrune(input: { runId: string; repositoryId: number; workflowId: string }): Promise<PrunePlan> {
    const repository = await catalog.repositories.get(input.repositoryId);
    await catalog.runs.markRunning({ id: input.runId, kind: 'prune', workflowId: input.workflowId, repositoryId: repository.id, jobId: null });
    await notifier.runEvent(input.runId, 'run.started');
    const jobs = await catalog.jobs.listOfRepository(repository.id);
    return {
      repository: { id: repository.id, name: repository.name },
      jobs: jobs.flatMap((j) => (j.retention ? [{ id: j.id, name: j.name, retention: j.retention }] : [])),
      postPruneScript: repository.postPruneScript,
      s3Sync: await catalog.repositories.hasSyncTarget(repository.id),
    };
  }

  /** Applies one job's policy to its snapshots (tag backstop-job=<id>), per host and paths. */
  async function forgetJobSnapshots(input: { runId?: string; repositoryId: number; jobId: number; policy: RetentionPolicy }): Promise<ForgetJobResult> {
    const repo = await openRepository(catalog, secrets, input.repositoryId);
    const groups = await logged(input.runId, 'forget', repo, (onLog) =>
      heartbeating('forgetting', (signal) => engine.forget(repo, { tags: [`${JOB_TAG_PREFIX}${input.jobId}`], policy: input.policy, dryRun: false }, { signal, onLog })),
    );
    const removedSnapshots = groups.flatMap((g) => g.remove.map((s) => s.id));
    const kept = groups.reduce((n, g) => n + g.keep.length, 0);
    logger.info({ repositoryId: input.repositoryId, jobId: input.jobId, kept, removed: removedSnapshots.length }, 'retention applied');
    return { jobId: input.jobId, kept, removed: removedSnapshots.length, removedSnapshots };
  }

  async function pruneRepository(input: { runId?: string; repositoryId: number }): Promise<PruneOutcome> {
    const repo = await openRepository(catalog, secrets, input.repositoryId);
    // A restic killed mid-prune (worker crash) leaves a lock; only stale ones are removed.
    await engine.unlockStale(repo);
    const outcome = await logged(input.runId, 'prune', repo, (onLog) => heartbeating('pruning', (signal) => engine.prune(repo, { signal, onLog })));
    logger.info({ repositoryId: input.repositoryId, ...outcome }, 'repository pruned');
    return outcome;
  }

  async function syncCatalogSnapshots(input: { repositoryId: number }): Promise<CatalogSyncResult> {
    const repo = await openRepository(catalog, secrets, input.repositoryId);
    const present = await heartbeating('listing snapshots', () => engine.listSnapshots(repo));
    const r = await catalog.snapshots.syncRepository(input.repositoryId, present, { jobPrefix: JOB_TAG_PREFIX, runPrefix: runTag('') });
    return { ...r, snapshots: present.length };
  }

  async function runPostPruneScript(input: { command: string; runId: string; repositoryId: number; repositoryName: string; success: boolean }): Promise<HookResult> {
    return runStepHook(deps, {
      runId: input.runId,
      step: 'post-prune-script',
      command: input.command,
      env: hookEnv({ runId: input.runId, repositoryId: input.repositoryId, repository: input.repositoryName, runSuccess: input.success }),
      timeoutMs: SCRIPT_TIMEOUT_MS,
      label: 'post-prune script',
    });
  }

  async function prepareCheck(input: { runId: string; repositoryId: number; workflowId: string }): Promise<CheckPlan> {
    const repository = await catalog.repositories.get(input.repositoryId);
    // The API refuses these before starting; a run that reaches here another way fails unretried.
    requireCapability(repository.engine, 'check');
    await catalog.runs.markRunning({ id: input.runId, kind: 'check', workflowId: input.workflowId, repositoryId: repository.id, jobId: null });
    await notifier.runEvent(input.runId, 'run.started');
    return { repository: { id: repository.id, name: repository.name, engine: repository.engine } };
  }

  async function checkRepository(input: { runId: string; repositoryId: number }): Promise<CheckOutcome> {
    const repo = await openRepository(catalog, secrets, input.repositoryId);
    // A restic killed mid-check (worker crash) leaves its exclusive lock; only stale ones are removed.
    await engine.unlockStale(repo);
    const started = Date.now();
    await logged(input.runId, 'check', repo, (onLog) => heartbeating('checking', (signal) => engine.check(repo, { signal, onLog })));
    const durationSeconds = Math.round((Date.now() - started) / 100) / 10;
    logger.info({ repositoryId: input.repositoryId, engine: engineOf(repo), durationSeconds }, 'repository checked');
    return { engine: engineOf(repo), durationSeconds };
  }

  async function finishMaintenanceRun(input: FinishMaintenanceRunInput): Promise<void> {
    await catalog.runs.finish({ id: input.runId, status: input.status, snapshotId: null, stats: null, warnings: input.warnings, failureReason: input.failureReason, details: input.details });
    const level = input.status === 'failed' ? 'error' : input.status === 'warning' ? 'warn' : 'info';
    logger[level]({ notification: 'run-finished', runId: input.runId, status: input.status, failureReason: input.failureReason }, `maintenance run: ${input.status}`);
    await notifier.runEnded(input.runId);
  }

  return withFailureMapping({ preparePrune, forgetJobSnapshots, pruneRepository, syncCatalogSnapshots, runPostPruneScript, finishMaintenanceRun, prepareCheck, checkRepository });
}

