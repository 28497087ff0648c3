// The backup workflow as it ran before the run envelope (workflows/run-envelope.ts), kept
// unchanged so that runs recorded before it replay: backupWorkflow takes this path only
// when its history has no RUN_ENVELOPE_PATCH marker. Do not change a line of it; once no
// such run is left open (the longest backup, 24 h, after every worker runs the envelope),
// mark the patch deprecated (deprecatePatch) and delete this file.
//
// Its two orders: without scripts or plugins the snapshot is taken before the shared
// repository lock (guarded by patched('repository-lock'); before that, no lock at all);
// with them (patched('plugins')) pre hooks, then the lock, dumps, snapshot and engine.
import { CancellationScope, patched, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import { mergeOverrides, NO_OVERRIDES, overrideTags } from '../contract/run-overrides';
import type { RunStatus } from '../contract/model';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { failureReason, isCancelled } from './failure-reason';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes, recordOutcome, trackRunProgress } from './run-visibility';
import type { AgentActivities, BackupStepResult } from '../contract/backup-activities';
import type { PluginActivities, PluginBackupResult } from '../contract/plugin-activities';
import type { SnapshotHandle } from '../contract/snapshot';
import type { ServerActivities, ServerScriptActivities } from '../contract/backup-activities';
import type { BackupWorkflowInput, BackupWorkflowResult } from '../contract/workflows';

const server = proxyActivities<ServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

const serverScripts = proxyActivities<ServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '15 minutes',
  // A script with side effects is not retried blindly: once more at most.
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [ErrorType.hook] },
});

// Library scripts: up to a day each (their own timeout kills them first); the heartbeat
// notices a lost server worker long before that.
const libraryScripts = proxyActivities<ServerScriptActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [ErrorType.hook] },
});

export async function legacyBackupWorkflow(started: BackupWorkflowInput): Promise<BackupWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  const { workflowId } = workflowInfo();
  const step = trackRunProgress('preparing');
  // Not cancellable: a run cancelled while queued still gets its plan, so the cleanup below
  // records it as cancelled instead of leaving its row queued. (No new command: replays.)
  const plan = await CancellationScope.nonCancellable(() => server.prepareBackup({ runId: input.runId, jobId: input.jobId, workflowId }));
  fillRunAttributes({ kind: 'backup', jobId: plan.jobId, agentName: plan.agentName, repositoryId: plan.repository.id });

  const agent = proxyActivities<AgentActivities>(agentStepOptions(plan.agentName, input));
  const engine = proxyActivities<AgentActivities>(agentEngineOptions(plan.agentName, input));
  // Plugin steps heartbeat; a hook or a dump may run long.
  const plugins = proxyActivities<PluginActivities>({ ...agentEngineOptions(plan.agentName, input), retry: { maximumAttempts: 3, nonRetryableErrorTypes: [ErrorType.hook] } });
  const preScripts = plan.scripts?.pre ?? [];
  const postScripts = plan.scripts?.post ?? [];
  const configIds = (plan.plugins ?? []).map((p) => p.id);
  // Only runs with scripts or plugins take the new path (and record the patch marker).
  const extras = preScripts.length + postScripts.length + configIds.length > 0 && patched('plugins');
  const pluginRun = { runId: input.runId, workflowId, jobId: plan.jobId, jobName: plan.jobName, configIds };
  let overrides = NO_OVERRIDES;
  let pluginsStarted = false;
  let pluginResult: PluginBackupResult | undefined;

  let handle: SnapshotHandle | undefined;
  let backup: BackupStepResult | undefined;
  let error: unknown;
  const warnings: string[] = [];

  try {
    if (plan.preScript) {
      step('pre-script');
      await serverScripts.runPreScript({ command: plan.preScript, runId: input.runId, plan });
    }
    if (extras) {
      for (const script of preScripts) {
        step('server-pre-scripts');
        const r = await libraryScripts.runServerScript({ scriptId: script.id, phase: 'pre', runId: input.runId, workflowId, plan });
        overrides = mergeOverrides(overrides, r.overrides);
        warnings.push(...r.warnings.map((w) => `pre script "${script.name}": ${w}`));
      }
      if (configIds.length > 0) {
        step('agent-pre-hooks');
        pluginsStarted = true;
        await plugins.pluginsBackupInit(pluginRun);
      }
    }
    const takeSnapshot = async () => {
      step('snapshot');
      handle = await agent.createSnapshot({ runId: input.runId, mode: plan.snapshotMode, paths: plan.paths });
      warnings.push(...handle.warnings);
      return handle;
    };
    // With a filesystem snapshot the engine reads the frozen copies at the original paths.
    const runEngine = (snap: SnapshotHandle, more: { paths: string[]; excludes: string[]; extraTags?: string[] }) => {
      step('engine');
      const { readPaths, binds = [], excludes: snapshotExcludes = [] } = snap;
      return engine.runBackup({
        runId: input.runId,
        workflowId,
        jobId: plan.jobId,
        repository: { id: plan.repository.id, url: plan.repository.url },
        paths: [...readPaths, ...more.paths],
        excludes: [...plan.excludes, ...snapshotExcludes, ...more.excludes],
        binds,
        ...(more.extraTags ? { extraTags: more.extraTags } : {}),
      });
    };
    const onWaiting = () => step('waiting-for-lock');
    if (extras) {
      backup = await withRepositoryLock(
        plan.repository.id,
        'shared',
        async () => {
          if (configIds.length > 0) {
            step('dumps');
            pluginResult = await plugins.pluginsBackup({ ...pluginRun, repository: { id: plan.repository.id, url: plan.repository.url }, extraTags: overrideTags(overrides) });
          }
          const snap = await takeSnapshot();
          // Dump files are static: read where the plugin wrote them, not through the snapshot.
          return runEngine(snap, { paths: pluginResult?.paths ?? [], excludes: overrides.excludes, extraTags: overrideTags(overrides) });
        },
        { onWaiting },
      );
    } else {
      const snap = await takeSnapshot();
      const run = () => runEngine(snap, { paths: [], excludes: [] });
      // The shared repository lock keeps a prune out while restic writes; runs recorded
      // before the lock existed replay without it.
      backup = patched('repository-lock') ? await withRepositoryLock(plan.repository.id, 'shared', run, { onWaiting }) : await run();
    }
    warnings.push(...backup.unreadable.map((p) => `unreadable: ${p}`));
  } catch (err) {
    error = err;
  }

  const status: RunStatus = error ? (isCancelled(error) ? 'cancelled' : 'failed') : backup!.unreadable.length > 0 ? 'warning' : 'succeeded';
  const reason = error ? (status === 'cancelled' ? 'cancelled' : failureReason(error, plan.agentName)) : null;
  const snapshotId = backup?.snapshot.id ?? null;

  await CancellationScope.nonCancellable(async () => {
    if (handle) {
      step('snapshot-release');
      await agent.releaseSnapshot(handle).catch((e: unknown) => {
        warnings.push(`snapshot release failed: ${failureReason(e, plan.agentName)}`);
      });
    }
    if (pluginsStarted) {
      step('agent-post-hooks');
      const cleaned = await plugins.pluginsBackupCleanup({ ...pluginRun, success: !error, snapshotId }).catch((e: unknown) => {
        warnings.push(`agent post hooks failed: ${failureReason(e, plan.agentName)}`);
        return null;
      });
      warnings.push(...(cleaned?.warnings ?? []));
    }
    if (plan.postHook) {
      step('post-hook');
      const hook = await agent
        .runPostHook({ command: plan.postHook, success: !error, runId: input.runId, jobId: plan.jobId, jobName: plan.jobName, snapshotId })
        .catch((e: unknown) => {
          warnings.push(`post hook failed: ${failureReason(e, plan.agentName)}`);
          return null;
        });
      if (hook && hook.exitCode !== 0) warnings.push(`post hook exited with code ${hook.exitCode}`);
    }
    if (extras) {
      for (const script of postScripts) {
        step('server-post-scripts');
        const outcome = { success: !error, status, warnings: warnings.length, snapshotId };
        const r = await libraryScripts.runServerScript({ scriptId: script.id, phase: 'post', runId: input.runId, workflowId, plan, outcome }).catch((e: unknown) => {
          warnings.push(`post script "${script.name}" failed: ${failureReason(e, plan.agentName)}`);
          return null;
        });
        if (r && r.exitCode !== 0) warnings.push(`post script "${script.name}" exited with code ${r.exitCode}`);
      }
    }
    step('record');
    if (backup) {
      await server.recordSnapshot({ runId: input.runId, jobId: plan.jobId, repositoryId: plan.repository.id, snapshot: backup.snapshot });
    }
    for (const stream of pluginResult?.streams ?? []) {
      await server.recordSnapshot({ runId: input.runId, jobId: plan.jobId, repositoryId: plan.repository.id, snapshot: stream.snapshot });
    }
    await server.finishRun({ runId: input.runId, status, snapshotId, stats: backup?.stats ?? null, warnings, failureReason: reason });
    await server.notify({ runId: input.runId, jobName: plan.jobName, status, snapshotId, failureReason: reason, warnings: warnings.length });
  });

  step('finished');
  recordOutcome(status);
  // The run record is written; now let Temporal show the run as failed or cancelled too.
  if (error) throw error;
  const streams = pluginResult ? { streamSnapshotIds: pluginResult.streams.map((x) => x.snapshot.id) } : {};
  return { status, snapshotId, stats: backup?.stats ?? null, warnings, failureReason: reason, ...streams };
}
