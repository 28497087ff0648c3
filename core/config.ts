// Process configuration from BACKSTOP_* environment variables, read once at start-up. This
// is the one module that reads the environment; core/settings.ts documents every variable
// (and a unit test holds the two together).
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { parseStaleAfterIntervals } from './job-health';
import { projectRoot } from './project-root';
import type { DeliveryRetry } from '../contract/notification-activities';

export interface BackstopConfig {
  dataDir: string;
  temporalAddress: string;
  temporalNamespace: string;
  databaseUrl: string | undefined;
  apiPort: number;
  /** Interface the API listens on; 0.0.0.0 in containers. */
  apiHost: string;
  apiUrl: string;
  masterKey: string | undefined;
  /** BACKSTOP_MASTER_KEY_PREVIOUS: the key being rotated away from, still accepted for opening. */
  previousMasterKey: string | undefined;
  agentName: string;
  /** How long an agent step may wait in its queue before the run fails as "agent unreachable". */
  agentScheduleToStartMs: number;
  /** An engine that has not heartbeated for this long is considered dead and retried. */
  engineHeartbeatTimeoutMs: number;
  /** Agent: where restores may write (BACKSTOP_RESTORE_ROOTS, colon-separated absolute paths). */
  restoreRoots: string[];
  /** API: which restores wait for an operator's approval (BACKSTOP_RESTORE_APPROVAL). */
  restoreApproval: RestoreApprovalMode;
  /** API: how long a restore waits for approval before it is rejected (BACKSTOP_APPROVAL_TIMEOUT_MS). */
  approvalTimeoutMs: number;
  /** API: a scheduled backup missed because its agent was unreachable is caught up if the agent returns within this (BACKSTOP_CATCHUP_WINDOW_MS). */
  catchupWindowMs: number;
  /** API: a scheduled job is stale after this many intervals without a success (BACKSTOP_STALE_AFTER_INTERVALS). */
  staleAfterIntervals: number;
  /** Workers: an engine, sync or hook that makes no progress for this long is stopped as stalled (BACKSTOP_STALL_TIMEOUT_MS). */
  stallTimeoutMs: number;
  /** Workers: between SIGINT and SIGKILL when a cancelled or stalled process is stopped (BACKSTOP_CANCEL_GRACE_MS). */
  cancelGraceMs: number;
  /** Agent: where backup sources may lie (BACKSTOP_BACKUP_ROOTS, colon-separated absolute paths); default `/`. */
  backupRoots: string[];
  /** Where the API may create or register local repositories (BACKSTOP_REPOSITORY_ROOTS). */
  repositoryRoots: string[];
  /** Agent: the address pull exports listen on (BACKSTOP_EXPORT_LISTEN); default all interfaces. */
  exportListen: string;
  /** Agent: the address the server worker is told to dial for a pull export (BACKSTOP_EXPORT_ADDRESS); default the host name. */
  exportAddress: string;
  /** API: port of the mTLS listener for agents (BACKSTOP_API_TLS_PORT); 0 = off. */
  apiTlsPort: number;
  /** API: the URL agents are told to use for mTLS (BACKSTOP_API_TLS_URL). */
  apiTlsUrl: string | null;
  /** API: names and addresses in the TLS listener's certificate (BACKSTOP_API_TLS_HOSTNAMES, comma-separated). */
  apiTlsHostnames: string[];
  /** API: lifetime of the agent certificates it signs (BACKSTOP_AGENT_CERT_LIFETIME_MS); default 30 days. */
  agentCertLifetimeMs: number;
  /** Agent: where its key, certificate, CA and config live (BACKSTOP_AGENT_HOME). */
  agentHome: string;
  /** Agent: seconds between heartbeats, in ms (BACKSTOP_AGENT_HEARTBEAT_MS); default 30 s. */
  agentHeartbeatMs: number;
  /** Workers and API: TLS to Temporal when set (BACKSTOP_TEMPORAL_TLS_CA / _CERT / _KEY, file paths). */
  temporalTls: { caFile?: string; certFile?: string; keyFile?: string } | null;
  /** API: `host:port` of the listener serving Backstop's metrics (BACKSTOP_METRICS_LISTEN); null = off. */
  metricsListen: ListenAddress | null;
  /** API: the bearer token that listener asks for (BACKSTOP_METRICS_TOKEN); undefined = none asked. */
  metricsToken: string | undefined;
  /** API: the Temporal Web UI the console links runs to (BACKSTOP_TEMPORAL_UI_URL). */
  temporalUiUrl: string | undefined;
  /** Workers: `host:port` of the Temporal SDK's Prometheus exporter (BACKSTOP_TEMPORAL_METRICS_LISTEN); null = off. */
  temporalMetricsListen: ListenAddress | null;
  /** BACKSTOP_VALIDATE_RESPONSES=1: answers that break the spec become 500s (tests, fuzzing). */
  validateResponses: boolean;
  /** BACKSTOP_RESTIC, BACKSTOP_RCLONE: the binaries the workers run. */
  resticBinary: string;
  rcloneBinary: string;
  /** BACKSTOP_LOG_LEVEL. */
  logLevel: string;
  /** Agent: BACKSTOP_AGENT_TOKEN, a bearer token instead of a certificate. */
  agentToken: string | undefined;
  /** Agent and `backstop-agent enroll`: the BACKSTOP_INIT_* variables and BACKSTOP_HOSTNAME. */
  enrollment: { serverUrl?: string; bootstrapToken?: string; caFingerprint?: string; hostname?: string };
  /** Agent: BACKSTOP_API_TLS_URL as set (overrides the URL the enrollment answer gave). */
  mtlsUrlOverride: string | undefined;
  /** Agent: BACKSTOP_PLUGIN_MODULES, comma-separated module paths. */
  pluginModules: string[];
  /** `backstop up`: BACKSTOP_UI_PORT and BACKSTOP_TEMPORAL_BIN. */
  uiPort: number;
  temporalBinary: string;
  /** CLI: BACKSTOP_TOKEN, and BACKSTOP_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY for `s3-sync set`. */
  cliToken: string | undefined;
  /** CLI: BACKSTOP_API_URL as set (undefined when unset: a config-file profile may name the API then). */
  cliApiUrl: string | undefined;
  /** CLI: BACKSTOP_PROFILE, the config-file profile when no --profile is given. */
  cliProfile: string | undefined;
  s3Keys: { accessKeyId?: string; secretAccessKey?: string };
  /** CLI: BACKSTOP_REPOSITORY_PASSWORD for `repos create`. */
  repositoryPassword: string | undefined;
  /** Server worker and API: how notifications are retried and how long one attempt may take (BACKSTOP_NOTIFY_*). */
  notifyRetry: DeliveryRetry;
  /** Server worker: between two looks for stale jobs and unreachable agents (BACKSTOP_NOTIFY_WATCH_MS). */
  notifyWatchMs: number;
  /**
   * Server worker: its Worker Deployment Version (BACKSTOP_WORKER_DEPLOYMENT, BACKSTOP_WORKER_BUILD_ID);
   * null without a build id: the worker polls unversioned, as before.
   */
  workerVersion: WorkerVersion | null;
}

/** A Worker Deployment Version: which deployment (`backstop`) and which release of its code. */
export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
}

/** BACKSTOP_BORG and BACKSTOP_PBS_CLIENT: the other engines' binaries (issue 14). */
export function engineBinaries(env: NodeJS.ProcessEnv = process.env): { borg: string; pbs: string } {
  return { borg: env.BACKSTOP_BORG || 'borg', pbs: env.BACKSTOP_PBS_CLIENT || 'proxmox-backup-client' };
}

/** BACKSTOP_RESTIC: for code that runs restic without a whole configuration (benches, tests). */
export function resticBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.BACKSTOP_RESTIC || 'restic';
}

/** BACKSTOP_RCLONE, else the project's rclone (installed by scripts/setup.sh), else PATH. */
export function rcloneBinary(env: NodeJS.ProcessEnv = process.env): string {
  const local = join(projectRoot(), '.tools', 'venv', 'bin', 'rclone');
  return env.BACKSTOP_RCLONE || (existsSync(local) ? local : 'rclone');
}

/** BACKSTOP_LOG_LEVEL, for loggers made before (or without) a configuration. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  return env.BACKSTOP_LOG_LEVEL || 'info';
}

const optional = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

/**
 * BACKSTOP_WORKER_BUILD_ID (and BACKSTOP_WORKER_DEPLOYMENT): unset, no versioning. The
 * server's own limits checked here so a bad value stops the worker at start, not at its
 * first poll: `.` and `:` separate a deployment name from a build id in version strings.
 */
export function workerVersion(env: NodeJS.ProcessEnv): WorkerVersion | null {
  const buildId = optional(env.BACKSTOP_WORKER_BUILD_ID);
  if (buildId === undefined) return null;
  const deploymentName = optional(env.BACKSTOP_WORKER_DEPLOYMENT) ?? 'backstop';
  if (/[.:\s]/.test(deploymentName) || deploymentName.startsWith('__')) {
    throw new Error(`BACKSTOP_WORKER_DEPLOYMENT must not contain ".", ":" or spaces nor start with "__", got ${JSON.stringify(deploymentName)}`);
  }
  if (/\s/.test(buildId) || buildId.startsWith('__') || buildId.length > 255) {
    throw new Error(`BACKSTOP_WORKER_BUILD_ID must be at most 255 characters without spaces, not starting with "__", got ${JSON.stringify(buildId)}`);
  }
  return { deploymentName, buildId };
}

/** `destructive`: in-place restores with overwrite `always`; `always`: every restore; `never`. */
export type RestoreApprovalMode = 'destructive' | 'always' | 'never';
const APPROVAL_MODES: readonly RestoreApprovalMode[] = ['destructive', 'always', 'never'];

function restoreRoots(env: NodeJS.ProcessEnv, fallback: string, name = 'BACKSTOP_RESTORE_ROOTS'): string[] {
  const roots = (env[name] ?? '').split(':').filter((r) => r !== '');
  for (const r of roots) {
    if (!isAbsolute(r) || r.split('/').includes('..')) throw new Error(`${name} entries must be absolute paths without "..", got ${JSON.stringify(r)}`);
  }
  return roots.length > 0 ? roots.map((r) => normalize(r).replace(/(.)\/$/, '$1')) : [fallback];
}

function approvalMode(env: NodeJS.ProcessEnv): RestoreApprovalMode {
  const raw = env.BACKSTOP_RESTORE_APPROVAL || 'destructive';
  if (!APPROVAL_MODES.includes(raw as RestoreApprovalMode)) throw new Error(`BACKSTOP_RESTORE_APPROVAL must be one of ${APPROVAL_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as RestoreApprovalMode;
}

/** Where a metrics listener binds. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port` (`[::1]:9470` for IPv6); unset or empty is off. */
export function listenAddress(name: string, env: NodeJS.ProcessEnv): ListenAddress | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65_535) throw new Error(`${name} must be host:port (e.g. 0.0.0.0:9470), got ${JSON.stringify(raw)}`);
  return { host: m[1] ?? m[2]!, port };
}

function int(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BackstopConfig {
  const apiPort = int('BACKSTOP_API_PORT', 8420, env);
  const dataDir = resolve(env.BACKSTOP_DATA_DIR ?? 'data');
  return {
    dataDir,
    temporalAddress: env.BACKSTOP_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalNamespace: env.BACKSTOP_TEMPORAL_NAMESPACE ?? 'default',
    databaseUrl: env.DATABASE_URL || undefined,
    apiPort,
    apiHost: env.BACKSTOP_API_HOST ?? '127.0.0.1',
    apiUrl: env.BACKSTOP_API_URL ?? `http://127.0.0.1:${apiPort}`,
    masterKey: env.BACKSTOP_MASTER_KEY || undefined,
    previousMasterKey: env.BACKSTOP_MASTER_KEY_PREVIOUS || undefined,
    agentName: env.BACKSTOP_AGENT_NAME ?? 'local',
    agentScheduleToStartMs: int('BACKSTOP_AGENT_SCHEDULE_TO_START_MS', 5 * 60_000, env),
    engineHeartbeatTimeoutMs: int('BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS', 30_000, env),
    restoreRoots: restoreRoots(env, join(dataDir, 'restores')),
    restoreApproval: approvalMode(env),
    approvalTimeoutMs: int('BACKSTOP_APPROVAL_TIMEOUT_MS', 24 * 60 * 60_000, env),
    catchupWindowMs: int('BACKSTOP_CATCHUP_WINDOW_MS', 24 * 60 * 60_000, env),
    staleAfterIntervals: parseStaleAfterIntervals(env.BACKSTOP_STALE_AFTER_INTERVALS),
    stallTimeoutMs: int('BACKSTOP_STALL_TIMEOUT_MS', 10 * 60_000, env),
    cancelGraceMs: int('BACKSTOP_CANCEL_GRACE_MS', 10_000, env),
    backupRoots: restoreRoots(env, '/', 'BACKSTOP_BACKUP_ROOTS'),
    repositoryRoots: restoreRoots(env, '/', 'BACKSTOP_REPOSITORY_ROOTS'),
    exportListen: env.BACKSTOP_EXPORT_LISTEN || '0.0.0.0',
    exportAddress: env.BACKSTOP_EXPORT_ADDRESS || env.BACKSTOP_EXPORT_LISTEN || hostname(),
    apiTlsPort: int('BACKSTOP_API_TLS_PORT', 0, env),
    apiTlsUrl: env.BACKSTOP_API_TLS_URL || (env.BACKSTOP_API_TLS_PORT ? `https://127.0.0.1:${int('BACKSTOP_API_TLS_PORT', 0, env)}` : null),
    apiTlsHostnames: (env.BACKSTOP_API_TLS_HOSTNAMES || 'localhost,127.0.0.1').split(',').map((h) => h.trim()).filter((h) => h !== ''),
    agentCertLifetimeMs: int('BACKSTOP_AGENT_CERT_LIFETIME_MS', 30 * 86_400_000, env),
    agentHome: resolve(env.BACKSTOP_AGENT_HOME || '/etc/backstop-agent'),
    agentHeartbeatMs: int('BACKSTOP_AGENT_HEARTBEAT_MS', 30_000, env),
    temporalTls:
      env.BACKSTOP_TEMPORAL_TLS_CA || env.BACKSTOP_TEMPORAL_TLS_CERT || env.BACKSTOP_TEMPORAL_TLS_KEY
        ? { caFile: env.BACKSTOP_TEMPORAL_TLS_CA || undefined, certFile: env.BACKSTOP_TEMPORAL_TLS_CERT || undefined, keyFile: env.BACKSTOP_TEMPORAL_TLS_KEY || undefined }
        : null,
    metricsListen: listenAddress('BACKSTOP_METRICS_LISTEN', env),
    metricsToken: optional(env.BACKSTOP_METRICS_TOKEN),
    temporalUiUrl: optional(env.BACKSTOP_TEMPORAL_UI_URL)?.replace(/\/+$/, ''),
    temporalMetricsListen: listenAddress('BACKSTOP_TEMPORAL_METRICS_LISTEN', env),
    validateResponses: env.BACKSTOP_VALIDATE_RESPONSES === '1',
    resticBinary: resticBinary(env),
    rcloneBinary: rcloneBinary(env),
    logLevel: logLevel(env),
    agentToken: optional(env.BACKSTOP_AGENT_TOKEN),
    enrollment: {
      serverUrl: optional(env.BACKSTOP_INIT_SERVER_URL),
      bootstrapToken: optional(env.BACKSTOP_INIT_BOOTSTRAP_TOKEN),
      caFingerprint: optional(env.BACKSTOP_INIT_CA_FINGERPRINT),
      hostname: optional(env.BACKSTOP_HOSTNAME),
    },
    mtlsUrlOverride: optional(env.BACKSTOP_API_TLS_URL),
    pluginModules: (env.BACKSTOP_PLUGIN_MODULES ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    uiPort: int('BACKSTOP_UI_PORT', 8233, env),
    temporalBinary: optional(env.BACKSTOP_TEMPORAL_BIN) ?? join(projectRoot(), '.tools', 'venv', 'bin', 'temporal'),
    cliToken: optional(env.BACKSTOP_TOKEN),
    cliApiUrl: optional(env.BACKSTOP_API_URL),
    cliProfile: optional(env.BACKSTOP_PROFILE),
    s3Keys: { accessKeyId: optional(env.BACKSTOP_S3_ACCESS_KEY_ID), secretAccessKey: optional(env.BACKSTOP_S3_SECRET_ACCESS_KEY) },
    repositoryPassword: optional(env.BACKSTOP_REPOSITORY_PASSWORD),
    notifyRetry: {
      initialIntervalMs: Math.max(1, int('BACKSTOP_NOTIFY_RETRY_INITIAL_MS', 5_000, env)),
      maximumIntervalMs: Math.max(1, int('BACKSTOP_NOTIFY_RETRY_MAX_MS', 10 * 60_000, env)),
      giveUpAfterMs: Math.max(1, int('BACKSTOP_NOTIFY_GIVE_UP_MS', 24 * 60 * 60_000, env)),
      attemptTimeoutMs: Math.max(1, int('BACKSTOP_NOTIFY_TIMEOUT_MS', 15_000, env)),
    },
    notifyWatchMs: Math.max(100, int('BACKSTOP_NOTIFY_WATCH_MS', 60_000, env)),
    workerVersion: workerVersion(env),
  };
}
