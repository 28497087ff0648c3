// The server worker: every workflow, and the activities that touch the catalog.
import { Worker } from '@temporalio/worker';
import type { BackstopConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import { SERVER_TASK_QUEUE } from '../../contract/names';
import { createPool, waitForDatabase } from '../../catalog/db';
import { Catalog } from '../../catalog/catalog';
import { createServerActivities } from '../../activities/server/backup-activities';
import { createGuestServerActivities } from '../../activities/server/guest-activities';
import { createServerScriptActivities } from '../../activities/server/script-activities';
import { createPluginRunActivities } from '../../activities/server/plugin-run-activities';
import { createRestoreServerActivities } from '../../activities/server/restore-activities';
import { connectClient, connectWorker, onShutdownSignal } from '../../core/temporal-connection';
import { installTemporalRuntime } from '../../core/temporal-runtime';
import { createEngines } from '../../activities/shared/engines/engines';
import { createMaintenanceActivities } from '../../activities/server/prune-activities';
import { createDrillServerActivities } from '../../activities/server/drill-activities';
import { createDrillSampleActivities } from '../../activities/shared/drill/sample-activities';
import { openRepository } from '../../activities/server/repository-access';
import { rm } from 'node:fs/promises';
import { createLockActivities } from '../../activities/server/lock-activities';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadSecretBox, type SecretBox } from '../../core/secrets';
import { EngineProcessRegistry } from '../../activities/shared/engines/orphans';
import { createS3SyncActivities } from '../../activities/server/sync/sync-activities';
import { RunLogWriter } from '../../catalog/run-log-writer';
import { CatalogRunLogTransport } from '../../activities/server/run-log-transport';
import { createPullActivities } from '../../activities/server/pull/pull-activities';
import { createCertificateAuthority, signServerCertificate } from '../../core/pki';
import { SERVER_WORKER_IDENTITY } from '../../contract/pull';
import { tmpdir } from 'node:os';
import type { ServerWorkerTls } from '../../activities/server/pull/export-client';
import { cleanUpLeftoverMounts, createSnapshotMountActivities } from '../../activities/server/snapshot-mount/snapshot-mount-activities';
import { MountMessage } from '../../contract/snapshot-mount';
import { cleanUpLeftoverGuestFileMounts, createGuestFileMountActivities } from '../../activities/server/guest-file-mount/guest-file-mount-activities';
import { GuestFileMountMessage } from '../../contract/guest-file-mount';
import { createRunNotifier } from '../../activities/server/notify/notifier';
import { catalogDeliveryStore, createDeliveryActivities } from '../../activities/server/notify/delivery-activities';
import { DELIVERERS } from '../../activities/server/notify/channels';
import { createWatchActivities } from '../../activities/server/notify/watch-activities';
import { NOTIFICATION_WATCH_WORKFLOW_ID } from '../../contract/notification-activities';
import { Workflows } from '../../contract/workflows';
import { startWorkflow } from '../../core/start-workflow';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { deploymentOptions, logRouting } from './versioning';

/**
 * The workflow code: run from dist/, the bundle `npm run build` made beside it (bundling at
 * every start costs seconds of CPU); run from the sources, bundled now from them. A
 * versioned worker loads the entry whose workflows declare their versioning behavior
 * (workflows/versioned.ts).
 */
function workflowCode(versioned: boolean): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const prebuilt = join(__dirname, '..', '..', versioned ? 'workflow-bundle-versioned.js' : 'workflow-bundle.js');
  if (__filename.endsWith('.js') && existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: require.resolve(versioned ? '../../workflows/versioned' : '../../workflows') };
}

export async function runServerWorker(config: BackstopConfig): Promise<void> {
  const logger = createLogger('server-worker');
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for the server worker');
  const pool = createPool(config.databaseUrl);
  await waitForDatabase(pool);
  // Before the first native connection, which would make the runtime without the exporter.
  await installTemporalRuntime(config.temporalMetricsListen, 'server-worker', logger);
  const connection = await connectWorker(config);
  // Lock activities start and signal the repository lock workflows (workflows cannot
  // signalWithStart) and describe holders' executions.
  const client = await connectClient(config);
  const catalog = new Catalog(pool);
  const secrets = loadSecretBox(config, config.dataDir);
  // Script, restic and rclone lines of server-side steps go straight into the catalog, redacted.
  const runLog = new CatalogRunLogTransport(new RunLogWriter(catalog, secrets));
  // Scripts on the server stop when silent for the stall timeout, like the agents' hooks.
  const hookLimits = { stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs };
  const resticCache = join(config.dataDir, 'server', 'restic-cache');
  const engine = createEngines({ stateDir: join(config.dataDir, 'server'), resticCacheDir: resticCache, stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs });
  // Snapshot mounts (issue 13): a worker killed while mounts were up left their restic
  // processes and FUSE mounts behind; take them down before this worker takes any task (the
  // mounts' activities then time out and mount again here).
  const mountsDir = join(config.dataDir, 'server', 'mounts');
  const mountProcesses = new EngineProcessRegistry(join(config.dataDir, 'server', 'mount-pids'));
  await cleanUpLeftoverMounts({ processes: mountProcesses, mountsDir, logger });
  // Guest file mounts (issue 19): the same for the filesystems, loop devices and scratch
  // images of guest disks; the mounts' workflows restore and mount again here.
  const guestMounts = { scratchDir: join(config.dataDir, 'server', 'guest-scratch'), mountsDir: join(config.dataDir, 'server', 'guest-mounts') };
  await cleanUpLeftoverGuestFileMounts({ ...guestMounts, logger });
  // Restore drills (issue 17): pull jobs' samples are restored here, in scratch directories
  // under drills/. No activity runs yet: whatever a killed worker left there goes now.
  const drillScratch = join(config.dataDir, 'server', 'drills');
  await rm(drillScratch, { recursive: true, force: true });
  // Notifications (issue 15): the activities that record a run's start and end start one
  // delivery workflow per matching channel through this client.
  const notifier = createRunNotifier({ catalog, client, logger, retry: config.notifyRetry });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: SERVER_TASK_QUEUE,
    ...workflowCode(config.workerVersion !== null),
    // BACKSTOP_WORKER_BUILD_ID: poll as that Worker Deployment Version (workers/server/versioning.ts).
    ...deploymentOptions(config.workerVersion),
    // Also the local activities of the workflows above (the backup's bookkeeping and lock
    // request): a local activity runs in the worker of its workflow, so it is found here.
    activities: {
      ...createServerActivities({ catalog, logger, runLog, hookLimits, notifier }),
      // Guest backups' plan (issue 19); they record and notify with the backup's activities.
      ...createGuestServerActivities({ catalog, notifier }),
      ...createRestoreServerActivities({ catalog, logger, notifier }),
      // Library pre/post scripts of backups (issue 5).
      ...createServerScriptActivities({ catalog, logger, runLog, hookLimits }),
      ...createPluginRunActivities({ catalog, logger }),
      // Retention and prune: the server worker opens repositories itself with the master key.
      ...createMaintenanceActivities({
        catalog,
        engine: createEngines({ stateDir: join(config.dataDir, 'server'), resticCacheDir: resticCache, killGraceMs: config.cancelGraceMs }),
        secrets,
        logger,
        runLog,
        hookLimits,
        notifier,
      }),
      // Restore drills: the plan, the engine's bounded check and the record; the sample of a
      // pull job (its agent never holds the password).
      ...createDrillServerActivities({ catalog, engine, secrets, logger, runLog, notifier }),
      ...createDrillSampleActivities({
        site: 'server',
        engine: (cacheDir) => createEngines({ stateDir: join(config.dataDir, 'server'), resticCacheDir: cacheDir, stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs }),
        repositoryAccess: (id) => openRepository(catalog, secrets, id),
        scratchRoot: drillScratch,
        logger,
        runLog,
      }),
      ...createLockActivities({ client, logger }),
      // Pull mode: this worker mounts the agents' exports and runs the engine (issue 13).
      ...createPullActivities({
        catalog,
        secrets,
        engine,
        engineNeeds: [config.resticBinary, resticCache, join(config.dataDir, 'server', 'borg'), tmpdir()],
        engineProcesses: new EngineProcessRegistry(join(config.dataDir, 'server', 'pull-pids')),
        tls: serverWorkerTls(catalog, secrets),
        workDir: join(config.dataDir, 'server', 'pull'),
        logger,
        runLog,
      }),
      // Snapshot mounts: restic mount of a snapshot's repository, held by a heartbeating activity.
      ...createSnapshotMountActivities({
        catalog,
        secrets,
        engine,
        processes: mountProcesses,
        mountsDir,
        logger,
        notify: (workflowId, progress) => client.workflow.getHandle(workflowId).signal(MountMessage.progress, progress),
      }),
      // Guest file mounts: a guest disk restored into a scratch image, its filesystems mounted read-only.
      ...createGuestFileMountActivities({
        catalog,
        secrets,
        engine,
        ...guestMounts,
        logger,
        notify: (workflowId, progress) => client.workflow.getHandle(workflowId).signal(GuestFileMountMessage.progress, progress),
      }),
      // S3 sync opens its target's keys here, from the catalog, with the master key.
      ...createS3SyncActivities({
        catalog,
        secrets,
        logger,
        processes: new EngineProcessRegistry(join(config.dataDir, 'server', 'sync-pids')),
        heartbeatTimeoutMs: config.engineHeartbeatTimeoutMs,
        runLog,
        stallTimeoutMs: config.stallTimeoutMs,
        killGraceMs: config.cancelGraceMs,
        notifier,
      }),
      // Notification deliveries: one attempt each, the channel's secrets opened only there.
      ...createDeliveryActivities({ store: catalogDeliveryStore(catalog), secrets, deliverers: DELIVERERS, logger }),
      ...createWatchActivities({ catalog, client, notifier, logger, staleAfterIntervals: config.staleAfterIntervals }),
    },
    shutdownGraceTime: '10s',
    // Heartbeats reach the server at least this often (by default up to 60 s apart, more than
    // a mount's heartbeat timeout): a held mount's worker is seen alive, a dead one noticed.
    maxHeartbeatThrottleInterval: '5s',
  });
  onShutdownSignal(() => worker.shutdown());
  // The health watch (job.stale, agent.unreachable): one per namespace; a starting worker
  // takes it over, so it runs this worker's code and settings.
  // Without it runs still notify; the next worker start tries again.
  await startWorkflow(client, Workflows.notificationWatch, { everyMs: config.notifyWatchMs }, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId: NOTIFICATION_WATCH_WORKFLOW_ID,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
  }).catch((err: unknown) => logger.error({ err }, 'health watch not started: no job.stale or agent.unreachable notifications'));
  if (config.workerVersion) await logRouting(client, config.temporalNamespace, config.workerVersion, logger);
  logger.info({ taskQueue: SERVER_TASK_QUEUE, version: config.workerVersion ?? 'unversioned' }, 'server worker running');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await client.connection.close();
    await pool.end();
  }
}

/** A year: a restart makes a new one (with a new key), as the API's TLS listener does. */
const WORKER_CERT_LIFETIME_MS = 365 * 86_400_000;

/** The certificate this worker shows agents on export channels, made on first use from the internal CA. */
function serverWorkerTls(catalog: Catalog, secrets: SecretBox): () => Promise<ServerWorkerTls> {
  let made: Promise<ServerWorkerTls> | null = null;
  return () => {
    made ??= (async () => {
      const ca = await catalog.identity.ensureCertificateAuthority(secrets, () => createCertificateAuthority());
      const cert = await signServerCertificate(ca, [SERVER_WORKER_IDENTITY], WORKER_CERT_LIFETIME_MS);
      return { keyPem: cert.keyPem, certPem: cert.certPem, caPem: ca.certPem };
    })().catch((err: unknown) => {
      made = null;
      throw err;
    });
    return made;
  };
}
