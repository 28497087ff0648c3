// Activities on the server worker (task queue backstop.server): catalog reads and
// writes, server-side scripts, notifications. Every one is safe to run twice.
// The backup workflow runs prepareBackup, recordSnapshot, finishRun and notify as local
// activities (in its own worker, no task round trip): they must stay short and idempotent,
// and need nothing but this worker. runPreScript stays a regular activity.
import type { RunStatus } from '../../contract/model';
import type { Logger } from '../../core/logger';
import { BackstopError, ErrorType, InputError } from '../../contract/errors';
import type { Catalog } from '../../catalog/catalog';
import { hookEnv, type HookLimits } from '../shared/hooks/shell';
import { withFailureMapping } from '../shared/failure';
import type { EngineSnapshot } from '../../contract/engine';
import type { RunLogTransport } from '../shared/run-log-sink';
import { runStepHook } from '../shared/hooks/step-hook';
import type { BackupPlan, FinishRunInput, ServerActivities } from '../../contract/backup-activities';
import { SILENT_NOTIFIER, type RunNotifier } from './notify/notifier';

/** A job's library scripts and plugin configurations, as references for its plan. */
async function pluginsAndScripts(catalog: Catalog, jobId: number): Promise<Pick<BackupPlan, 'scripts' | 'plugins'>> {
  const scripts = await catalog.scripts.ofJob(jobId);
  const ref = (s: { id: number; name: string }) => ({ id: s.id, name: s.name });
  return { scripts: { pre: scripts.pre.map(ref), post: scripts.post.map(ref) }, plugins: await catalog.pluginConfigs.ofJob(jobId) };
}

export interface ServerDeps {
  catalog: Catalog;
  logger: Logger;
  /** Where script lines go (the catalog, redacted); none discards them. */
  runLog?: RunLogTransport;
  /** Stall timeout and kill grace of pre scripts. */
  hookLimits?: HookLimits;
  /** Raises run events (started, ended, awaiting approval) to the notification rules; none sends nothing. */
  notifier?: RunNotifier;
}

const SCRIPT_TIMEOUT_MS = 10 * 60_000;

export function createServerActivities(deps: ServerDeps): ServerActivities {
  const { catalog, logger } = deps;
  const notifier = deps.notifier ?? SILENT_NOTIFIER;

  async function prepareBackup(input: { runId: string; jobId: number; workflowId: string }): Promise<BackupPlan> {
    const job = await catalog.jobs.get(input.jobId);
    if (job.kind === 'guest') throw new InputError(`job ${job.id} is a guest job: its runs are guestBackupWorkflow's`);
    const repository = await catalog.repositories.get(job.repositoryId);
    await catalog.runs.markRunning({
      id: input.runId,
      kind: 'backup',
      jobId: job.id,
      workflowId: input.workflowId,
      repositoryId: repository.id,
      agentName: job.agentName,
    });
    await notifier.runEvent(input.runId, 'run.started');
    return {
      jobId: job.id,
      jobName: job.name,
      agentName: job.agentName,
      repository: { id: repository.id, name: repository.name, url: repository.url },
      paths: job.paths,
      excludes: job.excludes,
      snapshotMode: job.snapshotMode,
      mode: job.mode,
      preScript: job.preScript,
      postHook: job.postHook,
      ...(await pluginsAndScripts(catalog, job.id)),
      ...(job.kind === 'container' && job.container ? { container: job.container } : {}),
    };
  }

  async function runPreScript(input: { command: string; runId: string; plan: BackupPlan }): Promise<void> {
    const r = await runStepHook(deps, {
      runId: input.runId,
      step: 'pre-script',
      command: input.command,
      env: hookEnv({
        runId: input.runId,
        jobId: input.plan.jobId,
        jobName: input.plan.jobName,
        agent: input.plan.agentName,
        repository: input.plan.repository.name,
        paths: input.plan.paths,
      }),
      timeoutMs: SCRIPT_TIMEOUT_MS,
      label: 'pre script',
    });
    if (r.exitCode !== 0) {
      const tail = r.output.slice(-3).join('; ');
      throw new BackstopError(ErrorType.hook, `pre script exited with code ${r.exitCode}${tail ? `: ${tail}` : ''}`);
    }
  }

  async function recordSnapshot(input: { runId: string; jobId: number; repositoryId: number; snapshot: EngineSnapshot }): Promise<void> {
    await catalog.snapshots.record({
      id: input.snapshot.id,
      repositoryId: input.repositoryId,
      jobId: input.jobId,
      runId: input.runId,
      time: input.snapshot.time,
      hostname: input.snapshot.hostname,
      paths: input.snapshot.paths,
      tags: input.snapshot.tags,
    });
  }

  async function finishRun(input: FinishRunInput): Promise<void> {
    await catalog.runs.finish({ id: input.runId, ...input });
  }

  /** One structured log line per finished run, and the run's end to the notification rules (after finishRun recorded it). */
  async function notify(input: { runId: string; jobName: string; status: RunStatus; snapshotId: string | null; failureReason: string | null; warnings: number }): Promise<void> {
    const level = input.status === 'failed' ? 'error' : input.status === 'warning' ? 'warn' : 'info';
    logger[level]({ notification: 'run-finished', ...input }, `backup of ${input.jobName}: ${input.status}`);
    await notifier.runEnded(input.runId);
  }

  return withFailureMapping({ prepareBackup, runPreScript, recordSnapshot, finishRun, notify });
}

