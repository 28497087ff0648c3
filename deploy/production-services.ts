// How each Backstop process of a production stack starts: its command line (inside the
// image's working directory, /opt/backstop) and the environment variables it is given.
// One table for two readers: the production suite (test/production/) starts every process
// exactly so, and deploy/compose.test.ts holds docker-compose.yml to it. A change to how a
// process starts is made here, and both follow.

export type ProductionService = 'api' | 'server-worker' | 'agent';

export interface ServiceStart {
  /** argv, run in the image's working directory: compiled JavaScript, no tsx at run time. */
  command: string[];
  /** Variables the service needs in production (the suite sets each; compose must too). */
  env: readonly string[];
  /** Variables the suite also sets and compose may set (ports, tuning); nothing else is allowed in compose. */
  optionalEnv: readonly string[];
}

const TEMPORAL = ['BACKSTOP_TEMPORAL_ADDRESS', 'BACKSTOP_TEMPORAL_TLS_CA', 'BACKSTOP_TEMPORAL_TLS_CERT', 'BACKSTOP_TEMPORAL_TLS_KEY'] as const;
const SERVER = ['DATABASE_URL', 'BACKSTOP_MASTER_KEY', 'BACKSTOP_DATA_DIR', ...TEMPORAL] as const;

export const PRODUCTION_SERVICES: Record<ProductionService, ServiceStart> = {
  api: {
    command: ['node', 'dist/cli/main.js', 'api'],
    env: [...SERVER, 'BACKSTOP_API_HOST', 'BACKSTOP_API_PORT', 'BACKSTOP_API_TLS_PORT', 'BACKSTOP_API_TLS_URL', 'BACKSTOP_API_TLS_HOSTNAMES'],
    optionalEnv: ['BACKSTOP_METRICS_LISTEN', 'BACKSTOP_LOG_LEVEL', 'BACKSTOP_TEMPORAL_NAMESPACE', 'BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS', 'BACKSTOP_REPOSITORY_ROOTS', 'BACKSTOP_VALIDATE_RESPONSES'],
  },
  'server-worker': {
    command: ['node', 'dist/cli/main.js', 'worker', 'server'],
    env: [...SERVER],
    optionalEnv: ['BACKSTOP_TEMPORAL_METRICS_LISTEN', 'BACKSTOP_LOG_LEVEL', 'BACKSTOP_TEMPORAL_NAMESPACE', 'BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS', 'BACKSTOP_RESTIC', 'BACKSTOP_WORKER_BUILD_ID', 'BACKSTOP_WORKER_DEPLOYMENT'],
  },
  agent: {
    command: ['node', 'dist/cli/main.js', 'agent'],
    env: ['BACKSTOP_AGENT_HOME', 'BACKSTOP_DATA_DIR', 'BACKSTOP_INIT_SERVER_URL', 'BACKSTOP_INIT_BOOTSTRAP_TOKEN', 'BACKSTOP_HOSTNAME', 'BACKSTOP_BACKUP_ROOTS', ...TEMPORAL],
    optionalEnv: ['BACKSTOP_API_TLS_URL', 'BACKSTOP_RESTORE_ROOTS', 'BACKSTOP_INIT_CA_FINGERPRINT', 'BACKSTOP_LOG_LEVEL', 'BACKSTOP_TEMPORAL_NAMESPACE', 'BACKSTOP_TEMPORAL_METRICS_LISTEN', 'BACKSTOP_AGENT_HEARTBEAT_MS', 'BACKSTOP_RESTIC'],
  },
};
