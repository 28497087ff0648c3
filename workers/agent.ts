// The agent worker: runs on the machine being backed up and serves agent.<name>.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import type { BackstopConfig } from '../core/config';
import { createLogger, type Logger } from '../core/logger';
import { agentTaskQueue, runTag } from '../core/names';
import { createAgentActivities } from '../activities/agent';
import { createRestoreActivities } from '../activities/restore/activities';
import { RestorePlanStore } from '../activities/restore/resume-plan';
import { Restic } from '../activities/engines/restic/restic';
import { EngineProcessRegistry } from '../activities/engines/orphans';
import { ApiSecretSource } from '../activities/secret-source';
import { createSnapshotProviders, runActivity } from '../activities/snapshot/agent-snapshots';
import { ApiRunLogTransport } from '../activities/run-log/transports';
import { connectClient, connectWorker, onShutdownSignal } from './connection';
import { VERSION } from '../core/version';
import { builtinRegistry } from '../activities/plugins/builtin';
import { loadPluginModules, parsePluginModules } from '../activities/plugins/registry';
import { createPluginActivities } from '../activities/plugins/agent-activities';
import { ApiPluginConfigSource } from '../activities/plugins/config-source';

/** Registers with the API, retrying while it starts. */
async function register(config: BackstopConfig, token: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${config.apiUrl}/v1/agents/${encodeURIComponent(config.agentName)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hostname: hostname(), version: VERSION }),
      });
      if (res.ok) return;
      throw new Error(`API answered ${res.status}: ${await res.text()}`);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`agent registration failed: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** What an agent's activities and its start-up sweep of orphaned snapshots share. */
export function agentState(config: BackstopConfig, token: string, logger: Logger) {
  const stateDir = join(config.dataDir, 'agents', config.agentName);
  return {
    stateDir,
    snapshots: createSnapshotProviders(stateDir, logger),
    engineProcesses: new EngineProcessRegistry(join(stateDir, 'engine-pids')),
    // Hook and engine lines go to the API with this agent's token (agents have no catalog access).
    runLog: new ApiRunLogTransport(config.apiUrl, token),
    // Built-in plugins; runAgentWorker adds the modules of BACKSTOP_PLUGIN_MODULES.
    plugins: builtinRegistry(),
  };
}

/** Every activity an agent worker serves; also used by bench/scale to run many agents in one process. */
export function agentWorkerActivities(config: BackstopConfig, token: string, logger: Logger, state = agentState(config, token, logger)) {
  const { stateDir, runLog } = state;
  const engine = () => new Restic({ cacheDir: join(stateDir, 'restic-cache'), stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs });
  const hookLimits = { stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs };
  return {
    ...createAgentActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(config.apiUrl, token),
      snapshotProviders: state.snapshots.providers,
      engineProcesses: state.engineProcesses,
      logger,
      runLog,
      hookLimits,
    }),
    // Restores into this machine, confined to its BACKSTOP_RESTORE_ROOTS.
    ...createRestoreActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(config.apiUrl, token),
      restoreRoots: config.restoreRoots,
      engineProcesses: new EngineProcessRegistry(join(stateDir, 'restore-pids')),
      restorePlans: new RestorePlanStore(join(stateDir, 'restore-plans')),
      logger,
      runLog,
      hookLimits,
    }),
    // Plugins around the engine: hooks, database dumps, pipes (issue 5).
    ...createPluginActivities({
      agentName: config.agentName,
      registry: state.plugins,
      configs: new ApiPluginConfigSource(config.apiUrl, token),
      engine: engine(),
      secrets: new ApiSecretSource(config.apiUrl, token),
      workRoot: join(stateDir, 'plugin-work'),
      logger,
      runLog,
    }),
  };
}

export async function runAgentWorker(config: BackstopConfig): Promise<void> {
  const logger = createLogger('agent').child({ agent: config.agentName });
  const token = process.env.BACKSTOP_AGENT_TOKEN;
  if (!token) throw new Error('BACKSTOP_AGENT_TOKEN is required for the agent');
  const connection = await connectWorker(config);
  const taskQueue = agentTaskQueue(config.agentName);
  const state = agentState(config, token, logger);
  // Third-party plugins load once, at start; one that fails to load stops the agent.
  await loadPluginModules(state.plugins, parsePluginModules(process.env.BACKSTOP_PLUGIN_MODULES));
  // Snapshots a crash left behind go once their run has ended; a run still going resumes on its own.
  const client = await connectClient(config);
  const orphans = await state.snapshots.filesystem.releaseOrphans(runActivity(client, logger), (workflowId) => state.engineProcesses.stopLeftover(workflowId, runTag(workflowId)));
  if (orphans > 0) logger.warn({ released: orphans }, 'released filesystem snapshots of ended runs');
  await client.connection.close();
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue,
    activities: agentWorkerActivities(config, token, logger, state),
    // Engine runs stop on cancellation (SIGINT to restic); give them time to unlock.
    shutdownGraceTime: '20s',
  });
  // Registering starts the catch-up of scheduled backups missed while this agent was away
  // (api/catch-up.ts): do it once the worker exists, so it polls right after and the
  // catch-up's first step does not wait (and time out) while the worker is still being built.
  await register(config, token);
  onShutdownSignal(() => worker.shutdown());
  logger.info({ taskQueue }, 'agent worker running');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}
