// Server activities of a restore drill (task queue backstop.server): the plan (which snapshot,
// where the sample is restored, which lock), the engine's check with a bounded read of data,
// and the run's record. The server worker opens the repository itself with the master key.
import { Context, heartbeat } from '@temporalio/activity';
import type { Catalog, CatalogScope } from '../../catalog/catalog';
import type { Logger } from '../../core/logger';
import type { SecretBox } from '../../core/secrets';
import { BackstopError, ErrorType } from '../../contract/errors';
import { ITEM_TAG_PREFIX } from '../../contract/names';
import { engineOf, type BackupEngine } from '../../contract/engine';
import { requireCapability } from '../../contract/engine-capabilities';
import { normalizeDrillSettings, type DrillIntegrity } from '../../contract/drill';
import type { DrillCheckInput, DrillPlan, DrillServerActivities, FinishDrillInput } from '../../contract/drill-activities';
import { withFailureMapping } from '../shared/failure';
import { withRunLog, type RunLogTransport } from '../shared/run-log-sink';
import { drillCheckScope, drillDataRead } from '../shared/drill/check-scope';
import { openRepository } from './repository-access';
import { SILENT_NOTIFIER, type RunNotifier } from './notify/notifier';

export interface DrillServerDeps {
  catalog: Catalog;
  engine: BackupEngine;
  secrets: SecretBox;
  logger: Logger;
  runLog?: RunLogTransport;
  notifier?: RunNotifier;
}

const HEARTBEAT_EVERY_MS = 1_000;

/** The configuration id of a stream snapshot's item tag (`backstop-item=<config>/<item>`), or null. */
export function streamConfigId(tags: readonly string[]): number | null {
  const tag = tags.find((t) => t.startsWith(ITEM_TAG_PREFIX));
  const m = tag ? /^([1-9]\d{0,14})\//.exec(tag.slice(ITEM_TAG_PREFIX.length)) : null;
  return m ? Number(m[1]) : null;
}

/**
 * Where a drill restores its sample: on the agent, unless the job is a pull job or the agent
 * backs this repository up in pull mode only — such an agent never holds the password (as
 * restores decide, api/routes/restore.ts), so the server worker restores the sample instead.
 */
export async function drillSampleSite(catalog: CatalogScope, job: { mode: 'push' | 'pull' }, agentName: string, repositoryId: number): Promise<'agent' | 'server'> {
  if (job.mode === 'pull') return 'server';
  return (await catalog.repositories.agentUse(agentName, repositoryId)) === 'pull-only' ? 'server' : 'agent';
}

export function createDrillServerActivities(deps: DrillServerDeps): DrillServerActivities {
  const { catalog, engine, secrets, logger } = deps;
  const notifier = deps.notifier ?? SILENT_NOTIFIER;

  async function prepareDrill(input: { runId: string; workflowId: string; jobId: number; agentName?: string | null }): Promise<DrillPlan> {
    const job = await catalog.jobs.get(input.jobId);
    const repository = await catalog.repositories.get(job.repositoryId);
    // The API refuses these before starting; a scheduled drill of such a job fails here, unretried.
    requireCapability(repository.engine, 'drill');
    const settings = normalizeDrillSettings(await catalog.jobs.drillSettings(job.id));
    const agentName = input.agentName ?? settings.agent ?? job.agentName;
    const site = await drillSampleSite(catalog, job, agentName, repository.id);
    await catalog.runs.markRunning({ id: input.runId, kind: 'drill', workflowId: input.workflowId, jobId: job.id, repositoryId: repository.id, agentName, engineSite: site });
    await notifier.runEvent(input.runId, 'run.started');
    const latest = await catalog.snapshots.latestOfJob(job.id, ITEM_TAG_PREFIX);
    return {
      job: { id: job.id, name: job.name, agentName: job.agentName, mode: job.mode },
      repository: { id: repository.id, name: repository.name, url: repository.url, engine: repository.engine },
      settings,
      sample: { site, agentName },
      lockMode: repository.engine === 'restic' ? 'shared' : 'exclusive',
      snapshot: latest ? { id: latest.files.id, time: latest.files.time, paths: latest.files.paths, backupRunId: latest.files.runId } : null,
      streams: (latest?.streams ?? []).flatMap((s) => {
        const configId = streamConfigId(s.tags);
        return configId !== null && s.paths[0] ? [{ configId, snapshotId: s.id, path: s.paths[0] }] : [];
      }),
    };
  }

  async function checkDrillRepository(input: DrillCheckInput): Promise<DrillIntegrity> {
    const repo = await openRepository(catalog, secrets, input.repositoryId);
    const kind = engineOf(repo);
    const read = drillDataRead(kind, input);
    const scope = drillCheckScope(kind, read);
    const started = Date.now();
    const ctx = Context.current();
    heartbeat({ phase: 'checking' });
    const ticker = setInterval(() => heartbeat({ phase: 'checking' }), HEARTBEAT_EVERY_MS);
    const seconds = () => Math.round((Date.now() - started) / 100) / 10;
    try {
      return await withRunLog(
        deps.runLog,
        logger,
        input.runId,
        'drill-check',
        async (log) => {
          log.line('stdout', scope);
          try {
            await engine.check(repo, { signal: ctx.cancellationSignal, onLog: (stream, line) => log.line(stream, line) }, read);
            return { engine: kind, scope, passed: true, problems: null, durationSeconds: seconds() };
          } catch (e) {
            // Damage is what a drill is for: recorded, and the drill goes on to show what it reaches.
            if (e instanceof BackstopError && e.type === ErrorType.repositoryDamaged) return { engine: kind, scope, passed: false, problems: e.message, durationSeconds: seconds() };
            throw e;
          }
        },
        [repo.password, ...Object.values(repo.env ?? {})],
      );
    } finally {
      clearInterval(ticker);
    }
  }

  async function finishDrill(input: FinishDrillInput): Promise<void> {
    await catalog.runs.finish({
      id: input.runId,
      status: input.status,
      snapshotId: input.snapshotId,
      stats: null,
      warnings: input.warnings,
      failureReason: input.failureReason,
      details: input.details as unknown as Record<string, unknown>,
    });
    const level = input.status === 'failed' ? 'error' : input.status === 'warning' ? 'warn' : 'info';
    logger[level]({ notification: 'run-finished', runId: input.runId, status: input.status, failureReason: input.failureReason }, `restore drill: ${input.status}`);
    // A failed drill raises drill.failed (activities/server/notify/rules.ts).
    await notifier.runEnded(input.runId);
  }

  return withFailureMapping({ prepareDrill, checkDrillRepository, finishDrill });
}
