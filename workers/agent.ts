// The agent worker: runs on the machine being backed up and serves agent.<name>.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import type { BackstopConfig } from '../core/config';
import { createLogger, type Logger } from '../core/logger';
import { agentTaskQueue } from '../core/names';
import { createAgentActivities } from '../activities/agent';
import { createRestoreActivities } from '../activities/restore/activities';
import { Restic } from '../activities/engines/restic/restic';
import { EngineProcessRegistry } from '../activities/engines/orphans';
import { ApiSecretSource } from '../activities/secret-source';
import { NoSnapshotProvider } from '../activities/snapshot/provider';
import { connectWorker, onShutdownSignal } from './connection';
import { VERSION } from '../core/version';

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

/** Every activity an agent worker serves; also used by bench/scale to run many agents in one process. */
export function agentWorkerActivities(config: BackstopConfig, token: string, logger: Logger) {
  const stateDir = join(config.dataDir, 'agents', config.agentName);
  const engine = () => new Restic({ cacheDir: join(stateDir, 'restic-cache'), stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs });
  const hookLimits = { stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs };
  return {
    ...createAgentActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(config.apiUrl, token),
      snapshotProviders: [new NoSnapshotProvider()],
      engineProcesses: new EngineProcessRegistry(join(stateDir, 'engine-pids')),
      logger,
      hookLimits,
    }),
    // Restores into this machine, confined to its BACKSTOP_RESTORE_ROOTS.
    ...createRestoreActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(config.apiUrl, token),
      restoreRoots: config.restoreRoots,
      engineProcesses: new EngineProcessRegistry(join(stateDir, 'restore-pids')),
      logger,
      hookLimits,
    }),
  };
}

export async function runAgentWorker(config: BackstopConfig): Promise<void> {
  const logger = createLogger('agent').child({ agent: config.agentName });
  const token = process.env.BACKSTOP_AGENT_TOKEN;
  if (!token) throw new Error('BACKSTOP_AGENT_TOKEN is required for the agent');
  await register(config, token);
  const connection = await connectWorker(config);
  const taskQueue = agentTaskQueue(config.agentName);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue,
    activities: agentWorkerActivities(config, token, logger),
    // Engine runs stop on cancellation (SIGINT to restic); give them time to unlock.
    shutdownGraceTime: '20s',
  });
  onShutdownSignal(() => worker.shutdown());
  logger.info({ taskQueue }, 'agent worker running');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}
