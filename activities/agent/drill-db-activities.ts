// A restore drill's databases, on the job's own agent (its plugin configurations reach the
// database servers): each dump of the drilled backup is restored into a scratch database of
// its own (`backstop_drill_<run>_<n>`, on the server the dump came from), probed (tables and
// exact row counts, then the configuration's probe query in a read-only session) and dropped.
//
// The same plugin code as a database restore (restorePluginItem) does the restore: the engine
// streams the dump (restic dump, through an empty cache of the run's own, as the sample's
// files are read) into pg_restore / mysql. A dump the engine cannot read back,
// or the database tool refuses, is the drill's finding, returned as `failed` with the reason;
// only trouble reaching the API is thrown (and retried). The scratch database is dropped in
// every case, and the workflow's cleanup drops it again should this process die first.
import { Context } from '@temporalio/activity';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BackstopError, ErrorType, NotFoundError } from '../../contract/errors';
import { engineOf, type BackupEngine } from '../../contract/engine';
import type { BackstopPlugin, PluginContext } from '../../contract/plugin-api';
import type { DrillDatabase } from '../../contract/drill';
import type { DrillDatabaseActivities, DrillDatabaseInput } from '../../contract/drill-activities';
import type { Logger } from '../../core/logger';
import { withFailureMapping } from '../shared/failure';
import { whileHeartbeating } from '../shared/clock-heartbeat';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../shared/run-log-sink';
import type { PluginRegistry } from '../shared/plugins/registry';
import type { PluginConfigSource } from './plugin-config-source';
import type { SecretSource } from './secret-source';

export interface DrillDatabaseDeps {
  agentName: string;
  registry: PluginRegistry;
  configs: PluginConfigSource;
  /** The engine with its cache in `cacheDir`: a fresh one per run, so the dump is read from the repository alone. */
  engine: (cacheDir: string) => BackupEngine;
  secrets: SecretSource;
  /** Plugin work directories (option files) and the engine's cache live under here: <workRoot>/<run id>/…, removed after each step. */
  workRoot: string;
  logger: Logger;
  runLog?: RunLogTransport;
}

interface Loaded {
  plugin: BackstopPlugin;
  config: unknown;
  secretValues: string[];
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createDrillDatabaseActivities(deps: DrillDatabaseDeps): DrillDatabaseActivities {
  /** The configuration, or why the drill cannot use it (gone, or no longer valid). */
  async function load(configId: number): Promise<Loaded | string> {
    try {
      const fetched = await deps.configs.get(configId);
      const plugin = deps.registry.get(fetched.plugin);
      return { plugin, config: plugin.parseConfig({ ...fetched.settings, ...fetched.secrets }), secretValues: Object.values(fetched.secrets) };
    } catch (e) {
      // The API unreachable is a retry's business; a configuration that is gone or invalid is the drill's finding.
      if (e instanceof BackstopError && (e instanceof NotFoundError || e.type === ErrorType.input)) return `plugin configuration ${configId} cannot be used: ${e.message}`;
      throw e;
    }
  }

  const contextFor = (runId: string, configId: number, log: RunLogSink): PluginContext => ({
    runId,
    jobId: 0,
    jobName: '',
    agentName: deps.agentName,
    configId,
    workDir: join(deps.workRoot, runId, String(configId)),
    signal: Context.current().cancellationSignal,
    log: (stream, line) => log.line(stream, line),
  });

  async function drillDatabase(input: DrillDatabaseInput): Promise<DrillDatabase> {
    const started = Date.now();
    const result: DrillDatabase = {
      configId: input.dump.configId,
      plugin: null,
      path: input.dump.path,
      snapshotId: input.dump.snapshotId,
      scratchDatabase: input.scratchDatabase,
      status: 'passed',
      tables: [],
      probe: null,
      error: null,
      durationSeconds: 0,
    };
    const done = (status: DrillDatabase['status'], error: string | null): DrillDatabase => ({ ...result, status, error, durationSeconds: Math.round((Date.now() - started) / 100) / 10 });

    const loaded = await load(input.dump.configId);
    if (typeof loaded === 'string') return done('failed', loaded);
    const { plugin, config } = loaded;
    result.plugin = plugin.type;
    if (!plugin.restore || !plugin.probeDatabase || !plugin.dropDatabase) return done('skipped', `plugin ${plugin.type} restores nothing a drill can probe`);
    const restore = plugin.restore.bind(plugin);
    const probeDatabase = plugin.probeDatabase.bind(plugin);
    const dropDatabase = plugin.dropDatabase.bind(plugin);

    const repo = { url: input.repository.url, ...(await deps.secrets.repositoryAccess(input.repository.id)) };
    const secrets = [...loaded.secretValues, repo.password, ...Object.values(repo.env ?? {})];
    return whileHeartbeating(() =>
      withRunLog(
        deps.runLog,
        deps.logger,
        input.runId,
        'drill-databases',
        async (log) => {
          const ctx = contextFor(input.runId, input.dump.configId, log);
          let error: string | null = null;
          try {
            log.line('stdout', `${input.dump.path}: restoring into the scratch database "${input.scratchDatabase}"`);
            const engine = deps.engine(join(deps.workRoot, input.runId, 'engine-cache'));
            error = await restoreDump(ctx, engine, plugin, restore, config, input, repo);
            if (error === null) {
              try {
                const probe = await probeDatabase(ctx, config, { database: input.scratchDatabase, query: input.probe });
                result.tables = probe.tables;
                result.probe = probe.query;
                log.line('stdout', `${input.dump.path}: ${probe.tables.length} tables (${probe.tables.map((t) => `${t.name} ${t.rows}`).join(', ') || 'none'})`);
              } catch (e) {
                if (ctx.signal.aborted) throw e;
                error = `restored, but the probe failed: ${message(e)}`;
              }
            }
          } finally {
            // Always, also when cancelled: the scratch database is the drill's to remove.
            await dropDatabase({ ...ctx, signal: new AbortController().signal }, config, input.scratchDatabase).catch((e: unknown) =>
              log.line('stderr', `warning: the scratch database "${input.scratchDatabase}" was not dropped (the cleanup tries again): ${message(e)}`),
            );
            await rm(join(deps.workRoot, input.runId), { recursive: true, force: true });
          }
          if (error) log.line('stderr', `${input.dump.path}: ${error}`);
          return done(error ? 'failed' : 'passed', error);
        },
        secrets,
      ),
    );
  }

  /**
   * restoreInit (a new scratch database; a retried attempt's own is replaced) and the plugin's
   * restore fed by the engine's read of the dump. Returns why it did not restore, or null.
   */
  async function restoreDump(
    ctx: PluginContext,
    engine: BackupEngine,
    plugin: BackstopPlugin,
    restore: NonNullable<BackstopPlugin['restore']>,
    config: unknown,
    input: DrillDatabaseInput,
    repo: Parameters<BackupEngine['dumpFile']>[0],
  ): Promise<string | null> {
    const dump = new PassThrough();
    const req = { input: dump, pseudoPath: input.dump.path, target: input.scratchDatabase, overwrite: true };
    try {
      await plugin.restoreInit?.(ctx, config, req);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      return `the scratch database could not be made: ${message(e)}`;
    }
    // Stops the engine's read when the tool gives up first (it would block on a full pipe).
    const reader = new AbortController();
    const stopReading = () => reader.abort();
    ctx.signal.addEventListener('abort', stopReading);
    // The engine's own failure, if it failed before anyone stopped it: that explains the tool's.
    let readError: unknown = null;
    const reading = engine.dumpFile(repo, input.dump.snapshotId, input.dump.path, dump, reader.signal).then(
      () => dump.end(),
      (e: unknown) => {
        if (!reader.signal.aborted) readError = e;
        dump.destroy();
      },
    );
    const restoring = restore(ctx, config, req).finally(() => {
      reader.abort();
      dump.resume();
    });
    const [, restored] = await Promise.allSettled([reading, restoring]);
    ctx.signal.removeEventListener('abort', stopReading);
    if (ctx.signal.aborted) throw new BackstopError(ErrorType.engine, 'drill cancelled');
    if (readError !== null) return `${engineOf(repo)} cannot read the dump back from the repository: ${message(readError)}`;
    if (restored.status === 'rejected') return `the dump does not restore: ${message(restored.reason)}`;
    return null;
  }

  async function dropDrillDatabases(input: { runId: string; databases: Array<{ configId: number; name: string }> }): Promise<{ warnings: string[] }> {
    const warnings: string[] = [];
    try {
      for (const db of input.databases) {
        const loaded = await load(db.configId);
        if (typeof loaded === 'string' || !loaded.plugin.dropDatabase) continue;
        await withRunLog(deps.runLog, deps.logger, input.runId, 'drill-cleanup', async (log) => {
          const ctx = contextFor(input.runId, db.configId, log);
          await loaded.plugin.dropDatabase!(ctx, loaded.config, db.name).catch((e: unknown) => {
            warnings.push(`scratch database "${db.name}" not dropped: ${message(e)}`);
          });
        }, loaded.secretValues);
      }
    } finally {
      await rm(join(deps.workRoot, input.runId), { recursive: true, force: true });
    }
    return { warnings };
  }

  return withFailureMapping({ drillDatabase, dropDrillDatabases: (i: { runId: string; databases: Array<{ configId: number; name: string }> }) => whileHeartbeating(() => dropDrillDatabases(i)) });
}
