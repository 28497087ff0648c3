// The agent worker: runs on the machine being backed up and serves agent.<name>.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import type { BackstopConfig } from '../../core/config';
import type { AgentCapabilities } from '../../contract/model';
import { createLogger, type Logger } from '../../core/logger';
import { AGENT_EXIT_REVOKED, agentTaskQueue, runTag } from '../../contract/names';
import { UnauthorizedError } from '../../contract/errors';
import { createAgentActivities } from '../../activities/agent/backup-activities';
import { createRestoreActivities } from '../../activities/agent/restore-activities';
import { RestorePlanStore } from '../../activities/agent/restore-resume-plan';
import { createEngines } from '../../activities/shared/engines/engines';
import { engineBinaries } from '../../core/config';
import { EngineProcessRegistry } from '../../activities/shared/engines/orphans';
import { ApiSecretSource } from '../../activities/agent/secret-source';
import { createSnapshotProviders, runActivity } from '../../activities/agent/snapshot/snapshot-activities';
import { ApiRunLogTransport } from '../../activities/agent/run-log-transport';
import { connectClient, connectWorker, onShutdownSignal } from '../../core/temporal-connection';
import { installTemporalRuntime } from '../../core/temporal-runtime';
import { VERSION } from '../../core/version';
import { BearerAgentHttp, MtlsAgentHttp, type AgentHttp } from '../../activities/agent/api-http';
import { loadIdentity, type AgentIdentity } from './identity/home';
import { defaultAgentName, enroll } from './identity/enroll';
import { startHeartbeatLoop } from './identity/heartbeat';
import { startRenewalLoop } from './identity/renewal';
import { detectCapabilities } from './identity/capabilities';
import { builtinRegistry } from '../../activities/shared/plugins/builtin';
import { loadPluginModules } from '../../activities/shared/plugins/registry';
import { createPluginActivities } from '../../activities/agent/plugin-activities';
import { createDrillDatabaseActivities } from '../../activities/agent/drill-db-activities';
import { createDrillSampleActivities } from '../../activities/shared/drill/sample-activities';
import { rmSync } from 'node:fs';
import { ApiPluginConfigSource } from '../../activities/agent/plugin-config-source';
import { ExportServer } from '../../activities/agent/export/export-server';
import { createExportActivities } from '../../activities/agent/export/export-activities';
import { HomeExportIdentity, IssuedExportIdentity, type ExportIdentitySource } from '../../activities/agent/export/export-identity';
import { findSftpRuntime } from '../../activities/agent/export/sftp-runtime';
import type { Client } from '@temporalio/client';
import { createGuestActivities } from '../../activities/agent/guest/guest-activities';
import { createContainerActivities } from '../../activities/agent/container/container-activities';
import { QmpClient } from '../../activities/agent/guest/qmp-client';
import { createQcow2 } from '../../activities/agent/guest/qemu-img';
import { createNbdExportActivities, sweepNbdExports } from '../../activities/agent/guest/nbd-export-activities';

/** Registers with the API, retrying while it starts. */
async function register(config: BackstopConfig, http: AgentHttp, capabilities: AgentCapabilities): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await http.request('PUT', `/v1/agents/${encodeURIComponent(config.agentName)}`, { hostname: hostname(), version: VERSION, capabilities });
      if (res.ok) return;
      // Refused credentials (revoked, unknown): asking again cannot help.
      if (res.status === 401) throw new UnauthorizedError(`the API refused this agent's credentials: ${res.text}`);
      throw new Error(`API answered ${res.status}: ${res.text}`);
    } catch (err) {
      if (err instanceof UnauthorizedError) throw err;
      if (Date.now() > deadline) throw new Error(`agent registration failed: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** What an agent's activities and its start-up sweep of orphaned snapshots share. */
export function agentState(config: BackstopConfig, http: AgentHttp, logger: Logger) {
  const stateDir = join(config.dataDir, 'agents', config.agentName);
  return {
    stateDir,
    snapshots: createSnapshotProviders(stateDir, logger),
    engineProcesses: new EngineProcessRegistry(join(stateDir, 'engine-pids')),
    // Hook and engine lines go to the API as this agent (agents have no catalog access).
    runLog: new ApiRunLogTransport(http),
    // Built-in plugins; runAgentWorker adds the modules of BACKSTOP_PLUGIN_MODULES.
    plugins: builtinRegistry(),
    exports: null as ExportServer | null,
  };
}

/** The pull exports of this agent, or null (with a warning) where OpenSSH's sftp-server is not installed. */
async function exportServer(config: BackstopConfig, stateDir: string, identity: ExportIdentitySource, client: Client, logger: Logger): Promise<ExportServer | null> {
  const runtime = await findSftpRuntime();
  if (!runtime) {
    logger.warn('no OpenSSH sftp-server (Debian: openssh-sftp-server): this agent cannot serve pull-mode jobs');
    return null;
  }
  return new ExportServer({
    stateDir,
    identity: () => identity.current(),
    listenHost: config.exportListen,
    advertiseHost: config.exportAddress,
    runtime,
    isRunActive: runActivity(client, logger),
    logger,
  });
}

/** Every activity an agent worker serves; also used by bench/scale to run many agents in one process. */
export function agentWorkerActivities(config: BackstopConfig, http: AgentHttp, logger: Logger, state = agentState(config, http, logger)) {
  const { stateDir, runLog } = state;
  const engine = () => createEngines({ stateDir, stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs });
  const hookLimits = { stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs };
  return {
    ...createAgentActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(http),
      snapshotProviders: state.snapshots.providers,
      engineProcesses: state.engineProcesses,
      logger,
      runLog,
      hookLimits,
      backupRoots: config.backupRoots,
    }),
    // Restores into this machine, confined to its BACKSTOP_RESTORE_ROOTS.
    ...createRestoreActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(http),
      restoreRoots: config.restoreRoots,
      engineProcesses: new EngineProcessRegistry(join(stateDir, 'restore-pids')),
      restorePlans: new RestorePlanStore(join(stateDir, 'restore-plans')),
      logger,
      runLog,
      hookLimits,
    }),
    // Guest jobs (issue 19): VM disks on this host through QEMU's QMP socket; the stage of
    // each job's segments is kept under <state>/guest/<job> between runs.
    ...createGuestActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(http),
      engineProcesses: state.engineProcesses,
      workRoot: join(stateDir, 'guest'),
      connectQmp: (socketPath) => QmpClient.connect(socketPath),
      createImage: (file, size) => createQcow2(file, size),
      stallTimeoutMs: config.stallTimeoutMs,
      restoreRoots: config.restoreRoots,
      backupRoots: config.backupRoots,
      logger,
      runLog,
    }),
    // A restored guest disk served over NBD by qemu-storage-daemon, until released (issue 19).
    ...createNbdExportActivities({ exportDir: join(stateDir, 'nbd-exports'), logger }),
    // Container jobs (issue 19 item 3): a container's paths found at each run, LXC freeze and
    // thaw around its filesystem snapshot, and its restores as a directory or a tar.
    ...createContainerActivities({
      agentName: config.agentName,
      engine: engine(),
      secrets: new ApiSecretSource(http),
      engineProcesses: new EngineProcessRegistry(join(stateDir, 'restore-pids')),
      restoreRoots: config.restoreRoots,
      backupRoots: config.backupRoots,
      logger,
      runLog,
    }),
    // Plugins around the engine: hooks, database dumps, pipes (issue 5).
    // Pull mode: the run's export of its paths (none where sftp-server is missing).
    ...(state.exports ? createExportActivities({ exports: state.exports, backupRoots: config.backupRoots, restoreRoots: config.restoreRoots }) : {}),
    ...createPluginActivities({
      agentName: config.agentName,
      registry: state.plugins,
      configs: new ApiPluginConfigSource(http),
      engine: engine(),
      secrets: new ApiSecretSource(http),
      workRoot: join(stateDir, 'plugin-work'),
      logger,
      runLog,
    }),
    // Restore drills (issue 17): the sample restored into <state>/drills/<run>, and the
    // scratch databases of the job's dumps through its plugin configurations.
    ...createDrillSampleActivities({
      site: config.agentName,
      engine: (cacheDir) => createEngines({ stateDir, resticCacheDir: cacheDir, stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs }),
      repositoryAccess: (id) => new ApiSecretSource(http).repositoryAccess(id),
      scratchRoot: join(stateDir, 'drills'),
      logger,
      runLog,
    }),
    ...createDrillDatabaseActivities({
      agentName: config.agentName,
      registry: state.plugins,
      configs: new ApiPluginConfigSource(http),
      engine: (cacheDir) => createEngines({ stateDir, resticCacheDir: cacheDir, stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs }),
      secrets: new ApiSecretSource(http),
      workRoot: join(stateDir, 'drill-work'),
      logger,
      runLog,
    }),
  };
}

/**
 * How this agent proves itself to the API: a bearer agent token when BACKSTOP_AGENT_TOKEN
 * is set (the embedded stack), else the certificate in its home — enrolling first, without
 * a prompt, when the home is empty and BACKSTOP_INIT_SERVER_URL / _BOOTSTRAP_TOKEN are set.
 */
async function agentCredentials(config: BackstopConfig, logger: Logger): Promise<{ config: BackstopConfig; http: AgentHttp; identity: AgentIdentity | null }> {
  const token = config.agentToken;
  if (token) return { config, http: new BearerAgentHttp(config.apiUrl, token), identity: null };
  let identity = loadIdentity(config.agentHome);
  if (!identity) {
    const { serverUrl, bootstrapToken: bootstrap } = config.enrollment;
    if (!serverUrl || !bootstrap) {
      throw new Error(`agent not enrolled (no identity in ${config.agentHome}): run \`backstop-agent enroll --server URL --token T\`, set BACKSTOP_INIT_SERVER_URL and BACKSTOP_INIT_BOOTSTRAP_TOKEN, or BACKSTOP_AGENT_TOKEN`);
    }
    identity = await enroll({ serverUrl, token: bootstrap, name: defaultAgentName(config.enrollment.hostname), home: config.agentHome, caFingerprint: config.enrollment.caFingerprint });
    logger.info({ agent: identity.agentName, home: config.agentHome }, 'agent enrolled from BACKSTOP_INIT_* variables');
  }
  const mtlsUrl = config.mtlsUrlOverride || identity.mtlsUrl;
  if (!mtlsUrl) throw new Error('the API gave no mTLS URL at enrollment (BACKSTOP_API_TLS_PORT unset there); set BACKSTOP_API_TLS_URL on the agent');
  const http = new MtlsAgentHttp(mtlsUrl, { keyPem: identity.keyPem, certPem: identity.certPem, caPem: identity.caPem });
  // The certificate names the agent; BACKSTOP_AGENT_NAME cannot make it someone else.
  return { config: { ...config, agentName: identity.agentName }, http, identity };
}

/** Runs the agent worker until it is stopped; resolves with the process's exit code. */
export async function runAgentWorker(baseConfig: BackstopConfig): Promise<number> {
  const bootLogger = createLogger('agent');
  const { config, http, identity } = await agentCredentials(baseConfig, bootLogger);
  const logger = bootLogger.child({ agent: config.agentName });
  // Before the first native connection, which would make the runtime without the exporter.
  await installTemporalRuntime(config.temporalMetricsListen, 'agent', logger);
  const connection = await connectWorker(config);
  const taskQueue = agentTaskQueue(config.agentName);
  const state = agentState(config, http, logger);
  // Third-party plugins load once, at start; one that fails to load stops the agent.
  await loadPluginModules(state.plugins, config.pluginModules);
  // Reported at registration too, so the API knows this agent's plugin types before its first beat.
  const capabilities: AgentCapabilities = { ...(await detectCapabilities(config.resticBinary, process.env.PATH, engineBinaries())), pluginTypes: state.plugins.types() };
  // Snapshots a crash left behind go once their run has ended; a run still going resumes on its own.
  const client = await connectClient(config);
  // Exports first: an sftp-server a killed agent left may hold a snapshot's files open.
  const identitySource = identity ? new HomeExportIdentity(() => loadIdentity(config.agentHome)) : new IssuedExportIdentity(config.agentName, http);
  state.exports = await exportServer(config, state.stateDir, identitySource, client, logger);
  state.exports?.sweep();
  // Drill scratch space a killed agent left: no activity of this process runs yet.
  for (const dir of ['drills', 'drill-work']) rmSync(join(state.stateDir, dir), { recursive: true, force: true });
  // NBD exports of restored guest disks whose workflow has ended (terminated, or released while this agent was away).
  await sweepNbdExports(join(state.stateDir, 'nbd-exports'), runActivity(client, logger), logger);
  const orphans = await state.snapshots.filesystem.releaseOrphans(runActivity(client, logger), (workflowId) => state.engineProcesses.stopLeftover(workflowId, runTag(workflowId)));
  if (orphans > 0) logger.warn({ released: orphans }, 'released filesystem snapshots of ended runs');
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue,
    activities: agentWorkerActivities(config, http, logger, state),
    // Engine runs stop on cancellation (SIGINT to restic); give them time to unlock.
    shutdownGraceTime: '20s',
    // A cancellation reaches an activity with its heartbeat's answer: at most 5 s apart (by
    // default 80 % of the heartbeat timeout, 24 s), so a release or cancel acts promptly.
    maxHeartbeatThrottleInterval: '5s',
  });
  // Registering starts the catch-up of scheduled backups missed while this agent was away
  // (api/catch-up.ts): do it once the worker exists, so it polls right after and the
  // catch-up's first step does not wait (and time out) while the worker is still being built.
  try {
    await register(config, http, capabilities);
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
    logger.error({ err: (err as Error).message }, 'agent refused by the API (revoked?): not starting the worker');
    await client.connection.close();
    await connection.close();
    return AGENT_EXIT_REVOKED;
  }
  let exitCode = 0;
  const stopHeartbeat = startHeartbeatLoop(http, capabilities, config.agentHeartbeatMs, logger, (err) => {
    // Revoked: stop polling the task queue; the activities could not get secrets anyway.
    logger.error({ err: err.message }, 'agent refused by the API (revoked?): stopping the worker');
    exitCode = AGENT_EXIT_REVOKED;
    try {
      worker.shutdown();
    } catch {
      // already shutting down
    }
  });
  const stopRenewal = identity && http instanceof MtlsAgentHttp ? startRenewalLoop(http, config.agentHome, identity, logger) : () => undefined;
  onShutdownSignal(() => worker.shutdown());
  logger.info({ taskQueue, auth: http.describe }, 'agent worker running');
  try {
    await worker.run();
  } finally {
    stopHeartbeat();
    stopRenewal();
    await state.exports?.stopAll();
    await client.connection.close();
    await connection.close();
  }
  return exitCode;
}
