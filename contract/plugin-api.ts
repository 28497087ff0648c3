// The typed plugin API. A plugin runs on an agent around the engine, with the lifecycle of
// Proxmox VE's backup-provider API:
//
//   backup:  jobInit ─▶ backupInit ─▶ backup (contributes files or streams) ─▶ engine
//            ─▶ backupCleanup(success) ─▶ jobCleanup                          (cleanups: always)
//   restore: restoreInit ─▶ restore ─▶ restoreCleanup                           (cleanup: always)
//
// Built-in plugins (pg_dump, mysql_dump, shell_hook, pipe) and third-party ones (a module path
// in BACKSTOP_PLUGIN_MODULES, loaded at agent start; see registry.ts) implement the same
// interface. A plugin reads its configuration only through parseConfig, which validates the
// raw settings (plain fields and secret fields merged) and throws InputError with the reason.

/** Engines a plugin's contributions can be stored by. */
export type PluginEngine = 'restic';

/** What a plugin can restore into: files on the agent, a database, or a writer command. */
export type RestoreTarget = 'files' | 'database' | 'stream';

export interface PluginCapabilities {
  engines: readonly PluginEngine[];
  restoreTargets: readonly RestoreTarget[];
}

/** What a step of a plugin knows about its run; no secrets beyond the plugin's own config. */
export interface PluginContext {
  runId: string;
  jobId: number;
  jobName: string;
  agentName: string;
  /** The catalog id of the named configuration this plugin instance runs with. */
  configId: number;
  /** A private scratch directory for this run and configuration (0700), removed after jobCleanup. */
  workDir: string;
  signal: AbortSignal;
  /** A line for the run log (secrets are redacted by the sink). */
  log(stream: 'stdout' | 'stderr', line: string): void;
}

/**
 * Data produced by a command and stored by the engine as one file at `pseudoPath` (restic's
 * stdin mode): the command's stdout is the content, and a non-zero exit fails the item, so a
 * partial dump is never stored as if it were good.
 */
export interface StreamItem {
  /** Stable, unique within the run: tags the engine snapshot so a retry adopts it. */
  item: string;
  pseudoPath: string;
  command: string;
  args: string[];
  /** Extra environment (credentials go here, never into args). */
  env: Record<string, string>;
}

export interface BackupContribution {
  /** Files or directories the job's backup includes in addition to its paths. */
  paths: string[];
  /** Streams the engine stores, each as its own snapshot. */
  streams: StreamItem[];
}

export interface BackupOutcome {
  success: boolean;
  /** Engine snapshot id of the run (files), null when it failed before one existed. */
  snapshotId: string | null;
}

/** One check of a plugin test: what was tried and whether it worked, in words. */
export interface PluginCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface PluginTestReport {
  ok: boolean;
  checks: PluginCheck[];
}

export interface RestoreRequest {
  /** The file as stored in the snapshot (restic dump of the pseudo path or dump file). */
  input: NodeJS.ReadableStream;
  /** The item's pseudo path in the snapshot. */
  pseudoPath: string;
  /** Where to restore: a database name, a path; the plugin decides what it means. */
  target: string;
  /** Overwrite an existing target; without it an existing target is refused. */
  overwrite: boolean;
}

/** What a restore drill read from a database it restored (issue 17). */
export interface DatabaseProbe {
  /** Every table, schema-qualified where the server has schemas, with its exact row count. */
  tables: Array<{ name: string; rows: number }>;
  /** The configuration's probe query and its output, one line per row; null without one. */
  query: { query: string; output: string[] } | null;
}

export interface BackstopPlugin<Config = unknown> {
  /** The plugin type named in a configuration: `pg_dump`, `shell_hook`, `hello_file`, … */
  readonly type: string;
  readonly description: string;
  readonly capabilities: PluginCapabilities;
  /** Configuration fields that are credentials: sealed at rest and fetched by the agent only. */
  readonly secretFields: readonly string[];
  /** Validates raw settings (plain and secret fields merged); throws InputError saying what is wrong. */
  parseConfig(raw: unknown): Config;

  jobInit?(ctx: PluginContext, config: Config): Promise<void>;
  backupInit?(ctx: PluginContext, config: Config): Promise<void>;
  backup?(ctx: PluginContext, config: Config): Promise<BackupContribution>;
  backupCleanup?(ctx: PluginContext, config: Config, outcome: BackupOutcome): Promise<void>;
  jobCleanup?(ctx: PluginContext, config: Config): Promise<void>;

  restoreInit?(ctx: PluginContext, config: Config, req: RestoreRequest): Promise<void>;
  restore?(ctx: PluginContext, config: Config, req: RestoreRequest): Promise<void>;
  restoreCleanup?(ctx: PluginContext, config: Config, req: RestoreRequest, success: boolean): Promise<void>;

  /**
   * Restore drills: reads a database `restore` just made (its tables and their row counts,
   * then `query`, read-only, when given). Plugins without it are not drilled past the restore.
   */
  probeDatabase?(ctx: PluginContext, config: Config, req: { database: string; query: string | null }): Promise<DatabaseProbe>;
  /** Restore drills: drops a scratch database `restore` made; one that is not there is fine. */
  dropDatabase?(ctx: PluginContext, config: Config, database: string): Promise<void>;

  /** A dry check of the configuration (connect, a small dump, scripts present and executable). */
  test(ctx: PluginContext, config: Config): Promise<PluginTestReport>;
}

export const NO_CONTRIBUTION: BackupContribution = { paths: [], streams: [] };

/** The report of a list of checks: ok when every check is. */
export function reportOf(checks: PluginCheck[]): PluginTestReport {
  return { ok: checks.every((c) => c.ok), checks };
}
