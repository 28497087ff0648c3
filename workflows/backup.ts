// BackupWorkflow: one run of a backup job, durable across crashes of any process. One
// order, with or without scripts and plugins (each step below runs only if the job has it):
//
//   1 prepare            prepareBackup              server (local)  the plan: job, repository, scripts, plugins
//   2 job.preScript, then library pre scripts        server          non-zero exit aborts; KEY=VALUE overrides
//   3 agent pre hooks    pluginsBackupInit          agent           jobInit + backupInit (shell_hook pre)
//     container jobs:    resolveContainer           agent           the run's paths: root filesystem + configuration
//   ── shared repository lock from here: a prune waits, backups and restores share it ──
//   4 dumps / pipes      pluginsBackup              agent           files to include; streams stored now
//   5 snapshot create    createSnapshot             agent           a running LXC container frozen around it (freeze/thaw)
//   6 engine             runBackup                  agent           job paths + dump files, overrides applied
//     pull mode instead: startExport (agent) → runPullBackup (server: mount, engine, unmount)
//   ── lock released; cleanup, never cancelled, always ──
//   7 export stop        stopExport                 agent           pull mode
//     snapshot release   releaseSnapshot            agent
//   8 agent post hooks   pluginsBackupCleanup       agent           backupCleanup(success) + jobCleanup, then job.postHook
//   9 server post scripts runServerScript           server          BACKSTOP_RUN_SUCCESS, BACKSTOP_RUN_WARNINGS
//  10 record (files snapshot and every stream snapshot), finish the run, notify   server (local)
//
// The filesystem snapshot is taken once the lock is held, not before: a run that waits for
// a prune does not hold a frozen copy meanwhile (an LVM snapshot fills with every write to
// its volume while it lives) nor back up a copy older than its engine run. Held while the
// engine runs: the shared lock and the snapshot; nothing else.
//
// The plan and the catalog writes are local activities on the server worker, where this
// workflow runs: short, idempotent bookkeeping without a task round trip each. Everything
// on an agent, and every script, stays an activity with its own retry boundary.
//
// Pull mode (plan.mode 'pull'): the agent only exports its frozen paths read-only; the
// server worker mounts the export and runs the engine, so the agent never holds the
// repository password. A broken export (its agent died, say) fails the engine step with
// ExportLostError: the export is opened again and the engine step retried, a few times.
// Push runs issue the same commands as before: no patch marker is needed for the branch.
//
// Container jobs (issue 19 item 3) are files jobs whose paths the agent finds at the start
// of each run (contract/container.ts): the same steps, hooks, snapshot mode and engine, the
// snapshot tagged with the container's name and the run's details saying what it stored. A
// running LXC container is frozen only while its filesystem snapshot is created (with no
// snapshot mode there is nothing to freeze for: the engine reads the live tree, as a files
// job does), and thawed right after, or in the cleanup whatever happened. Files jobs' plans
// have no `container`: they issue the same commands as before, so no patch marker is needed.
//
// Runs recorded before this order (no RUN_ENVELOPE_PATCH marker) replay on
// workflows/backup-legacy.ts. The envelope (workflows/run-envelope.ts) runs the cleanup in
// a non-cancellable scope, so a cancelled or failed run still releases its snapshot, runs
// its post hooks and records its outcome.
import { CancellationScope, patched, proxyActivities, proxyLocalActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import { mergeOverrides, NO_OVERRIDES, overrideTags, type RunOverrides } from '../contract/run-overrides';
import { ErrorType } from '../contract/errors';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { failureReason } from './failure-reason';
import { agentEngineOptions, agentStepOptions } from './agent-options';
import { serverEngineOnExport, throughExport } from './export-channel';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import { legacyBackupWorkflow } from './backup-legacy';
import type { AgentActivities, BackupStepResult, BackupPlan, ServerActivities, ServerScriptActivities } from '../contract/backup-activities';
import type { PluginActivities, PluginBackupResult, PluginRunInput } from '../contract/plugin-activities';
import type { LockActivities } from '../contract/repository-lock';
import type { SnapshotHandle } from '../contract/snapshot';
import type { ContainerAgentActivities } from '../contract/container-activities';
import { containerBackupPaths, containerTag, type ContainerPlan, type ContainerRunDetails } from '../contract/container';
import type { ExportActivities, PullBackupInput } from '../contract/pull';
import type { BackupWorkflowInput, BackupWorkflowResult } from '../contract/workflows';

/** Runs that record this marker take the order above; runs without it replay backup-legacy.ts. */
export const RUN_ENVELOPE_PATCH = 'run-envelope';

// Bookkeeping on this worker: local activities, each safe to run twice (the catalog writes
// are upserts; a notification may be logged twice after a crash). Their retries are driven
// by workflow tasks; the backoff matches the activities they replace.
const bookkeeping = proxyLocalActivities<ServerActivities & Pick<LockActivities, 'requestRepositoryLock'>>({
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

export async function backupWorkflow(started: BackupWorkflowInput): Promise<BackupWorkflowResult> {
  if (!patched(RUN_ENVELOPE_PATCH)) return legacyBackupWorkflow(started);
  const input = { ...started, runId: started.runId ?? uuid4() };
  const { runId } = input;
  const { workflowId } = workflowInfo();

  // What the body got to, for the cleanup.
  let handle: SnapshotHandle | undefined;
  let pluginsStarted = false;
  let pluginResult: PluginBackupResult | undefined;
  let lockReleased: Promise<void> = Promise.resolve();
  let exported = false;
  let container: ContainerPlan | undefined;
  let frozen = false;
  let wasFrozen = false;

  const run = await runEnvelope({
    where: (plan) => plan.agentName,

    prepare: async () => {
      const plan = await bookkeeping.prepareBackup({ runId, jobId: input.jobId, workflowId });
      fillRunAttributes({ kind: 'backup', jobId: plan.jobId, agentName: plan.agentName, repositoryId: plan.repository.id });
      return plan;
    },

    body: async (plan, { step, warnings }): Promise<BackupStepResult> => {
      const { agent, engine, plugins } = agentProxies(plan.agentName, input);
      const pluginRun = pluginRunOf(plan, runId, workflowId);
      const repository = { id: plan.repository.id, url: plan.repository.url };

      if (plan.preScript) {
        step('pre-script');
        await serverScripts.runPreScript({ command: plan.preScript, runId, plan });
      }
      let overrides: RunOverrides = NO_OVERRIDES;
      for (const script of plan.scripts?.pre ?? []) {
        step('server-pre-scripts');
        const r = await libraryScripts.runServerScript({ scriptId: script.id, phase: 'pre', runId, workflowId, plan });
        overrides = mergeOverrides(overrides, r.overrides);
        warnings.push(...r.warnings.map((w) => `pre script "${script.name}": ${w}`));
      }
      if (pluginRun.configIds.length > 0) {
        step('agent-pre-hooks');
        pluginsStarted = true;
        await plugins.pluginsBackupInit(pluginRun);
      }
      const extraTags = overrideTags(overrides);
      if (plan.container) {
        step('container');
        container = await agentProxies(plan.agentName, input).container.resolveContainer({ runId, container: plan.container });
      }
      const paths = container ? containerBackupPaths(container) : plan.paths;
      const engineTags = container ? [...extraTags, containerTag(container.name)] : extraTags;

      const backup = await withRepositoryLock(
        plan.repository.id,
        'shared',
        async () => {
          if (pluginRun.configIds.length > 0) {
            step('dumps');
            pluginResult = await plugins.pluginsBackup({ ...pluginRun, repository, extraTags });
          }
          if (container?.running && plan.snapshotMode !== 'none') {
            step('container-freeze');
            frozen = (await agentProxies(plan.agentName, input).container.freezeContainer({ runId, name: container.name })).frozen;
            wasFrozen = frozen;
          }
          step('snapshot');
          try {
            handle = await agent.createSnapshot({ runId, mode: plan.snapshotMode, paths });
          } finally {
            // Thawed as soon as the snapshot exists (or failed): the container is stopped only for as long as that takes.
            if (frozen) await CancellationScope.nonCancellable(() => thaw(plan.agentName, container!.name));
          }
          warnings.push(...handle.warnings);
          // The engine reads the frozen copies at the original paths; dump files are static,
          // read where the plugin wrote them, not through the snapshot.
          const { readPaths, binds = [], excludes: snapshotExcludes = [] } = handle;
          const run = {
            runId,
            workflowId,
            jobId: plan.jobId,
            repository,
            excludes: [...plan.excludes, ...snapshotExcludes, ...overrides.excludes],
            ...(extraTags.length > 0 ? { extraTags } : {}),
          };
          if (plan.mode === 'pull') return pullEngine((s) => step(s), () => (exported = true), { ...run, agentName: plan.agentName, paths: readPaths }, handle, input);
          step('engine');
          const tags = engineTags.length > 0 ? { extraTags: engineTags } : {};
          return engine.runBackup({ ...run, ...tags, paths: [...readPaths, ...(pluginResult?.paths ?? [])], binds });
        },
        {
          onWaiting: () => step('waiting-for-lock'),
          request: bookkeeping.requestRepositoryLock,
          // Unlocking and releasing the snapshot are independent: both start at once.
          deferRelease: (released) => (lockReleased = released),
        },
      );
      warnings.push(...backup.unreadable.map((p) => `unreadable: ${p}`));
      return backup;
    },

    judge: (backup) => (backup.unreadable.length > 0 ? 'warning' : 'succeeded'),

    finish: async (plan, { status, reason, result: backup }, { step, warnings }) => {
      const { agent, plugins } = agentProxies(plan.agentName, input);
      const success = status === 'succeeded' || status === 'warning';
      const snapshotId = backup?.snapshot.id ?? null;
      const pluginRun = pluginRunOf(plan, runId, workflowId);
      const warn = (what: string) => (e: unknown) => {
        warnings.push(`${what} failed: ${failureReason(e, plan.agentName)}`);
        return null;
      };

      if (frozen) {
        // The thaw right after the snapshot failed or never ran (cancelled): the container runs again before anything else.
        step('container-thaw');
        await thaw(plan.agentName, container!.name).catch(warn('container thaw'));
      }
      if (exported) {
        step('export-stop');
        await proxyActivities<ExportActivities>(agentStepOptions(plan.agentName, input)).stopExport({ runId }).catch(warn('export stop'));
      }
      if (handle) {
        step('snapshot-release');
        await agent.releaseSnapshot(handle).catch(warn('snapshot release'));
      }
      await lockReleased;
      if (pluginsStarted) {
        step('agent-post-hooks');
        const cleaned = await plugins.pluginsBackupCleanup({ ...pluginRun, success, snapshotId }).catch(warn('agent post hooks'));
        warnings.push(...(cleaned?.warnings ?? []));
      }
      if (plan.postHook) {
        step('post-hook');
        const hook = await agent.runPostHook({ command: plan.postHook, success, runId, jobId: plan.jobId, jobName: plan.jobName, snapshotId }).catch(warn('post hook'));
        if (hook && hook.exitCode !== 0) warnings.push(`post hook exited with code ${hook.exitCode}`);
      }
      for (const script of plan.scripts?.post ?? []) {
        step('server-post-scripts');
        const outcome = { success, status, warnings: warnings.length, snapshotId };
        const r = await libraryScripts.runServerScript({ scriptId: script.id, phase: 'post', runId, workflowId, plan, outcome }).catch(warn(`post script "${script.name}"`));
        if (r && r.exitCode !== 0) warnings.push(`post script "${script.name}" exited with code ${r.exitCode}`);
      }

      step('record');
      const recorded = { runId, jobId: plan.jobId, repositoryId: plan.repository.id };
      for (const snapshot of [...(backup ? [backup.snapshot] : []), ...(pluginResult?.streams ?? []).map((s) => s.snapshot)]) {
        await bookkeeping.recordSnapshot({ ...recorded, snapshot });
      }
      const details = container ? { details: containerDetails(container, wasFrozen) } : {};
      await bookkeeping.finishRun({ runId, status, snapshotId, stats: backup?.stats ?? null, warnings, failureReason: reason, ...details });
      await bookkeeping.notify({ runId, jobName: plan.jobName, status, snapshotId, failureReason: reason, warnings: warnings.length });
    },
  });

  /** Thaws what this run froze; `frozen` stays set if it fails, so the cleanup tries again. */
  async function thaw(agentName: string, name: string): Promise<void> {
    await agentProxies(agentName, input).container.thawContainer({ runId, name });
    frozen = false;
  }

  const backup = run.result;
  const streams = pluginResult ? { streamSnapshotIds: pluginResult.streams.map((x) => x.snapshot.id) } : {};
  return { status: run.status, snapshotId: backup?.snapshot.id ?? null, stats: backup?.stats ?? null, warnings: run.warnings, failureReason: run.reason, ...streams };
}

/** What the plugin steps are told about the run: the same in the body and in the cleanup. */
function pluginRunOf(plan: BackupPlan, runId: string, workflowId: string): PluginRunInput {
  return { runId, workflowId, jobId: plan.jobId, jobName: plan.jobName, configIds: (plan.plugins ?? []).map((p) => p.id) };
}

/** The agent's steps: short ones, the engine, and plugin steps (which heartbeat; a hook or a dump may run long). */
function agentProxies(agentName: string, input: BackupWorkflowInput) {
  return {
    agent: proxyActivities<AgentActivities>(agentStepOptions(agentName, input)),
    engine: proxyActivities<AgentActivities>(agentEngineOptions(agentName, input)),
    plugins: proxyActivities<PluginActivities>({ ...agentEngineOptions(agentName, input), retry: { maximumAttempts: 3, nonRetryableErrorTypes: [ErrorType.hook] } }),
    container: proxyActivities<ContainerAgentActivities>(agentStepOptions(agentName, input)),
  };
}

/** What a container run stored, in its details (the container restore reads them back). */
function containerDetails(c: ContainerPlan, frozen: boolean): ContainerRunDetails {
  return { container: { runtime: c.runtime, name: c.name, rootfs: c.rootfs, configRoot: c.configRoot, configFiles: c.configFiles, frozen } };
}

/** Pull mode's engine: the agent exports, the server worker mounts and reads (contract/pull.ts). */
async function pullEngine(
  step: (s: 'export' | 'engine') => void,
  markExported: () => void,
  engineInput: Omit<PullBackupInput, 'export'>,
  handle: SnapshotHandle,
  input: BackupWorkflowInput,
): Promise<BackupStepResult> {
  const exports = proxyActivities<ExportActivities>(agentStepOptions(engineInput.agentName, input));
  const server = serverEngineOnExport(input);
  return throughExport(
    step,
    () => {
      markExported();
      return exports.startExport({ runId: engineInput.runId, handle });
    },
    (endpoint) => server.runPullBackup({ ...engineInput, export: endpoint }),
  );
}
