// The agent's side of plugins, three activities of the backup workflow (see the execution
// order in workflows/backup.ts):
//
//   pluginsBackupInit     jobInit + backupInit of each configuration (agent pre hooks)
//   pluginsBackup         backup of each: dumps to the work directory (paths for the engine)
//                         and streams stored straight into the repository, one snapshot each
//   pluginsBackupCleanup  backupCleanup(success) + jobCleanup, in reverse order, always
//
// Each fetches its configurations (secrets included) from the API by id when it runs.
import { Context, heartbeat } from '@temporalio/activity';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_TAG_PREFIX, itemTag, runTag } from '../../core/names';
import type { Logger } from '../../core/logger';
import { BackstopError, ErrorType } from '../../core/errors';
import type { RunStep } from '../../core/run-log';
import type { BackupEngine, EngineSnapshot } from '../engines/engine';
import type { SecretSource } from '../secret-source';
import { withFailureMapping } from '../failure';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../run-log/sink';
import type { BackstopPlugin, PluginContext, StreamItem } from './api';
import type { PluginConfigSource } from './config-source';
import type { PluginRegistry } from './registry';

export interface PluginActivityDeps {
  agentName: string;
  registry: PluginRegistry;
  configs: PluginConfigSource;
  engine: BackupEngine;
  secrets: SecretSource;
  /** Work directories live under here: <workRoot>/<runId>/<configId>. */
  workRoot: string;
  logger: Logger;
  runLog?: RunLogTransport;
}

export interface PluginRunInput {
  runId: string;
  workflowId: string;
  jobId: number;
  jobName: string;
  configIds: number[];
}

export interface PluginBackupInput extends PluginRunInput {
  repository: { id: number; url: string };
  /** Tags a server pre script added (overrides), put on every stream snapshot too. */
  extraTags?: string[];
}

export interface PluginBackupResult {
  /** Files and directories the engine includes with the job's paths. */
  paths: string[];
  /** One engine snapshot per stream item, in order. */
  streams: Array<{ configId: number; item: string; pseudoPath: string; snapshot: EngineSnapshot; adopted: boolean }>;
}

export interface PluginCleanupInput extends PluginRunInput {
  success: boolean;
  snapshotId: string | null;
}

const HEARTBEAT_EVERY_MS = 1_000;

interface Loaded {
  configId: number;
  plugin: BackstopPlugin;
  config: unknown;
  secretValues: string[];
}

export function createPluginActivities(deps: PluginActivityDeps) {
  async function load(configIds: number[]): Promise<Loaded[]> {
    const out: Loaded[] = [];
    for (const configId of configIds) {
      const fetched = await deps.configs.get(configId);
      const plugin = deps.registry.get(fetched.plugin);
      out.push({ configId, plugin, config: plugin.parseConfig({ ...fetched.settings, ...fetched.secrets }), secretValues: Object.values(fetched.secrets) });
    }
    return out;
  }

  const workDir = (runId: string, configId: number) => join(deps.workRoot, runId, String(configId));

  async function contextFor(input: PluginRunInput, configId: number, log: RunLogSink): Promise<PluginContext> {
    const dir = workDir(input.runId, configId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return {
      runId: input.runId,
      jobId: input.jobId,
      jobName: input.jobName,
      agentName: deps.agentName,
      configId,
      workDir: dir,
      signal: Context.current().cancellationSignal,
      log: (stream, line) => log.line(stream, line),
    };
  }

  /** Runs `fn` with the configurations loaded, a heartbeat, and a run log that redacts their secrets. */
  async function withPlugins<T>(input: PluginRunInput, step: RunStep, fn: (loaded: Loaded[], log: RunLogSink) => Promise<T>): Promise<T> {
    const loaded = await load(input.configIds);
    const ticker = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
    try {
      return await withRunLog(deps.runLog, deps.logger, input.runId, step, (log) => fn(loaded, log), loaded.flatMap((l) => l.secretValues));
    } finally {
      clearInterval(ticker);
    }
  }

  async function pluginsBackupInit(input: PluginRunInput): Promise<void> {
    await withPlugins(input, 'agent-pre-hooks', async (loaded, log) => {
      for (const l of loaded) {
        const ctx = await contextFor(input, l.configId, log);
        await l.plugin.jobInit?.(ctx, l.config);
        await l.plugin.backupInit?.(ctx, l.config);
      }
    });
  }

  async function pluginsBackup(input: PluginBackupInput): Promise<PluginBackupResult> {
    const attempt = Context.current().info.attempt;
    return withPlugins(input, 'dumps', async (loaded, log) => {
      const result: PluginBackupResult = { paths: [], streams: [] };
      const repo = { url: input.repository.url, ...(await deps.secrets.repositoryAccess(input.repository.id)) };
      const tag = runTag(input.workflowId);
      // Only an earlier attempt can have stored this run's streams already.
      const earlier = attempt > 1 ? await deps.engine.findSnapshotsByTag(repo, tag) : [];
      for (const l of loaded) {
        const ctx = await contextFor(input, l.configId, log);
        const contribution = (await l.plugin.backup?.(ctx, l.config)) ?? { paths: [], streams: [] };
        result.paths.push(...contribution.paths);
        for (const item of contribution.streams) {
          const tags = [tag, `${JOB_TAG_PREFIX}${input.jobId}`, itemTag(l.configId, item.item), ...(input.extraTags ?? [])];
          const existing = earlier.find((s) => s.tags.includes(itemTag(l.configId, item.item)));
          if (existing) {
            log.line('stdout', `${item.pseudoPath}: adopting snapshot ${existing.id.slice(0, 8)} of an earlier attempt`);
            result.streams.push({ configId: l.configId, item: item.item, pseudoPath: item.pseudoPath, snapshot: existing, adopted: true });
            continue;
          }
          const snapshot = await storeStream(repo, item, tags, ctx, log);
          result.streams.push({ configId: l.configId, item: item.item, pseudoPath: item.pseudoPath, snapshot, adopted: false });
        }
      }
      return result;
    });
  }

  async function storeStream(repo: { url: string; password: string; env: Record<string, string> }, item: StreamItem, tags: string[], ctx: PluginContext, log: RunLogSink): Promise<EngineSnapshot> {
    log.line('stdout', `${item.pseudoPath}: streaming ${item.command} into the repository`);
    // The command's own environment (its credentials) goes to restic, which runs it.
    const outcome = await deps.engine
      .backup(
        { ...repo, env: { ...repo.env, ...item.env } },
        { paths: [item.pseudoPath], excludes: [], tags, host: deps.agentName, stdin: { filename: item.pseudoPath, command: [item.command, ...item.args] } },
        { signal: ctx.signal, onLog: (stream, line) => log.line(stream, line) },
      )
      .catch((e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        throw new BackstopError(e instanceof BackstopError ? e.type : ErrorType.engine, `${item.pseudoPath}: ${item.command} failed, nothing stored: ${why}`);
      });
    return outcome.snapshot;
  }

  async function pluginsBackupCleanup(input: PluginCleanupInput): Promise<{ warnings: string[] }> {
    const warnings: string[] = [];
    await withPlugins(input, 'agent-post-hooks', async (loaded, log) => {
      // Reverse order: the last one set up is the first one torn down.
      for (const l of [...loaded].reverse()) {
        const ctx = await contextFor(input, l.configId, log);
        for (const [what, step] of [
          ['backupCleanup', () => l.plugin.backupCleanup?.(ctx, l.config, { success: input.success, snapshotId: input.snapshotId })],
          ['jobCleanup', () => l.plugin.jobCleanup?.(ctx, l.config)],
        ] as const) {
          try {
            await step();
          } catch (e) {
            const msg = `${l.plugin.type} (config ${l.configId}) ${what}: ${(e as Error).message}`;
            warnings.push(msg);
            log.line('stderr', `warning: ${msg}`);
          }
        }
      }
    });
    await rm(join(deps.workRoot, input.runId), { recursive: true, force: true });
    return { warnings };
  }

  return withFailureMapping({ pluginsBackupInit, pluginsBackup, pluginsBackupCleanup });
}

export type PluginActivities = ReturnType<typeof createPluginActivities>;
