// Process configuration from BACKSTOP_* environment variables, read once at start-up.
import { resolve } from 'node:path';

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
  agentName: string;
  /** How long an agent step may wait in its queue before the run fails as "agent unreachable". */
  agentScheduleToStartMs: number;
  /** An engine that has not heartbeated for this long is considered dead and retried. */
  engineHeartbeatTimeoutMs: number;
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
  return {
    dataDir: resolve(env.BACKSTOP_DATA_DIR ?? 'data'),
    temporalAddress: env.BACKSTOP_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalNamespace: env.BACKSTOP_TEMPORAL_NAMESPACE ?? 'default',
    databaseUrl: env.DATABASE_URL || undefined,
    apiPort,
    apiHost: env.BACKSTOP_API_HOST ?? '127.0.0.1',
    apiUrl: env.BACKSTOP_API_URL ?? `http://127.0.0.1:${apiPort}`,
    masterKey: env.BACKSTOP_MASTER_KEY || undefined,
    agentName: env.BACKSTOP_AGENT_NAME ?? 'local',
    agentScheduleToStartMs: int('BACKSTOP_AGENT_SCHEDULE_TO_START_MS', 5 * 60_000, env),
    engineHeartbeatTimeoutMs: int('BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS', 30_000, env),
  };
}
