// The agent's side of plugins, three activities of the backup workflow (see the execution
// order in workflows/backup.ts):
//
//   pluginsBackupInit     jobInit + backupInit of each configuration (agent pre hooks)
//   pluginsBackup         backup of each: dumps to the work directory (paths for the engine)
//                         and streams stored straight into the repository, one snapshot each
//   pluginsBackupCleanup  backupCleanup(success) + jobCleanup, in reverse order, always
//
// Each fetches its configurations (secrets included) from the API by id when it runs.
import { Context } from '@temporalio/activity';
import { mkdir, rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { JOB_TAG_PREFIX, itemTag, runTag } from '../../contract/names';
import type { Logger } from '../../core/logger';
import { BackstopError, ErrorType } from '../../contract/errors';
import type { RunStep } from '../../contract/run-log';
import type { BackupEngine, EngineSnapshot } from '../../contract/engine';
import type { SecretSource } from './secret-source';
import { withFailureMapping } from '../shared/failure';
import { whileHeartbeating, withClockHeartbeat } from '../shared/clock-heartbeat';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../shared/run-log-sink';
import { reportOf, type BackstopPlugin, type PluginContext, type PluginTestReport, type StreamItem } from '../../contract/plugin-api';
import type { PluginConfigSource } from './plugin-config-source';
import type { PluginRegistry } from '../shared/plugins/registry';
import { classifyDbFailure } from '../shared/plugins/db/failures';
import { scrub } from '../shared/scrub-error';
import { engineOnlyEnv, streamCommandArgv } from '../shared/plugins/stream-command';
import type { PluginBackupInput, PluginBackupResult, PluginCleanupInput, PluginRestoreInput, PluginRunInput, PluginActivities } from '../../contract/plugin-activities';

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

interface Loaded {
  configId: number;
  plugin: BackstopPlugin;
  config: unknown;
  secretValues: string[];
}

export function createPluginActivities(deps: PluginActivityDeps): PluginActivities {
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
    const secrets = loaded.flatMap((l) => l.secretValues);
    try {
      return await whileHeartbeating(() => withRunLog(deps.runLog, deps.logger, input.runId, step, (log) => fn(loaded, log), secrets));
    } catch (e) {
      // An error message goes into workflow history: never with a plugin's secret in it.
      throw e instanceof BackstopError ? scrub(e, secrets) : e instanceof Error ? scrub(new BackstopError(ErrorType.engine, e.message), secrets) : e;
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
        repo,
        { paths: [item.pseudoPath], excludes: [], tags, host: deps.agentName, stdin: { filename: item.pseudoPath, command: streamCommandArgv(item.command, item.args, engineOnlyEnv(repo.env)), env: item.env } },
        { signal: ctx.signal, onLog: (stream, line) => log.line(stream, line) },
      )
      .catch((e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        // restic refuses to save when the command exits non-zero; name the usual cause.
        const failure = classifyDbFailure(why);
        const type = failure && ['authentication failed', 'unknown host', 'database does not exist'].includes(failure) ? ErrorType.input : e instanceof BackstopError ? e.type : ErrorType.engine;
        throw new BackstopError(type, `${item.pseudoPath}: ${item.command.split('/').pop()} failed${failure ? ` (${failure})` : ''}, nothing stored: ${why}`);
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

  /**
   * Restores one dumped item of a snapshot through its plugin: the engine streams the file
   * (restic dump) into the plugin's restore (pg_restore, mysql, a pipe's writer).
   */
  async function restorePluginItem(input: PluginRestoreInput): Promise<{ target: string }> {
    const loaded = await load([input.configId]);
    const l = loaded[0]!;
    if (!l.plugin.restore) throw new BackstopError(ErrorType.input, `plugin ${l.plugin.type} cannot restore`);
    const repo = { url: input.repository.url, ...(await deps.secrets.repositoryAccess(input.repository.id)) };
    const run = { runId: input.runId, workflowId: input.workflowId, jobId: 0, jobName: '', configIds: [input.configId] };
    return whileHeartbeating(() => withRunLog(deps.runLog, deps.logger, input.runId, 'db-restore', async (log) => {
      const ctx = await contextFor(run, input.configId, log);
      const dump = new PassThrough();
      const req = { input: dump, pseudoPath: input.path, target: input.target, overwrite: input.overwrite };
      let ok = false;
      try {
        await l.plugin.restoreInit?.(ctx, l.config, req);
        const reading = deps.engine.dumpFile(repo, input.snapshotId, input.path, dump, ctx.signal).then(
          () => dump.end(),
          (e: unknown) => {
            dump.destroy();
            throw e;
          },
        );
        await Promise.all([reading, l.plugin.restore!(ctx, l.config, req)]);
        ok = true;
        return { target: input.target };
      } finally {
        await l.plugin.restoreCleanup?.(ctx, l.config, req, ok).catch((e: Error) => log.line('stderr', `warning: restoreCleanup: ${e.message}`));
        await rm(join(deps.workRoot, input.runId), { recursive: true, force: true });
      }
    }, [...l.secretValues, repo.password]));
  }

  /** The plugin-test workflow's step: a bad configuration is a failed check, not a thrown error. */
  async function testPluginConfig(input: { runId: string; workflowId: string; configId: number }): Promise<PluginTestReport> {
    const run = { runId: input.runId, workflowId: input.workflowId, jobId: 0, jobName: '', configIds: [input.configId] };
    let loaded: Loaded;
    try {
      loaded = (await load([input.configId]))[0]!;
    } catch (e) {
      return reportOf([{ name: 'configuration', ok: false, detail: (e as Error).message }]);
    }
    try {
      return await withRunLog(deps.runLog, deps.logger, input.runId, 'plugin-test', async (log) => {
        const ctx = await contextFor(run, input.configId, log);
        const report = await loaded.plugin.test(ctx, loaded.config);
        for (const c of report.checks) log.line(c.ok ? 'stdout' : 'stderr', `${c.ok ? 'ok' : 'FAILED'}: ${c.name}: ${c.detail}`);
        return report;
      }, loaded.secretValues);
    } finally {
      await rm(join(deps.workRoot, input.runId), { recursive: true, force: true });
    }
  }

  return withFailureMapping({ pluginsBackupInit, pluginsBackup, pluginsBackupCleanup, restorePluginItem, testPluginConfig: withClockHeartbeat(testPluginConfig) });
}

