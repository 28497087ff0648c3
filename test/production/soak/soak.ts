// The crash soak (issue: "per-minute schedules on many jobs and agents while a chaos loop kill
// -9s a random component"), one function for both callers: `npm run soak` (bench/soak/run.ts)
// and the short soak of the production suite (test/production/soak.test.ts).
//
//   setup   the production topology (two APIs, two server workers, three agents, Temporal and
//           the catalog on PostgreSQL), the jobs with their per-minute schedules (soak-jobs.ts)
//   chaos   for `minutes`: the planned kills (chaos-plan.ts, chaos-runner.ts) while manual
//           runs come on top of the schedules (manual-runs.ts)
//   drain   schedules paused; wait until Temporal and the catalog say every run has ended
//   checks  runs and workflows as the system reports them; every Backstop process stopped
//           gracefully; then leaks, and each repository through restic itself
//
// A soak that fails keeps the topology's directory (logs of every process, repositories, agent
// state) and says where; so does --keep.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTopology, type Topology } from '../support/topology';
import { planChaos } from './chaos-plan';
import { chaosComponents } from './chaos-components';
import { ChaosRunner } from './chaos-runner';
import { streamOf } from './prng';
import { createSoakJobs, type SoakFixtures } from './soak-jobs';
import { ManualRuns, type ManualRunLedger } from './manual-runs';
import { allBackupRuns, backupWorkflows, pauseSchedules, waitUntilDrained } from './drain';
import { judgeRuns, killExposure, runOrigin } from './run-outcomes';
import { findLeaks, processesUsing } from './leak-checks';
import { checkRepository } from './repository-checks';
import { absentFrom, type RepoSnapshot } from './snapshot-audit';
import { retrying } from './api-retry';
import { replayCommand, type SoakOptions } from './soak-args';
import { formatReport, reportOf, MIN_SUCCESS_RATIO, type SoakFindings, type SoakReport } from './soak-report';
import type { ApiRun } from '../../../core/api-client';
import type { ProductionService } from '../../../deploy/production-services';

export interface SoakRunOptions {
  /** Progress lines, as the soak goes. */
  log: (line: string) => void;
  /** How long the drain may wait for the last runs to end; default 20 min. */
  drainTimeoutMs?: number;
  minSuccessRatio?: number;
}

/**
 * A step whose agent was killed is retried after 10 s rather than the default 30 s, and agents
 * report every 5 s: with a kill every few seconds the defaults would keep most runs waiting
 * for a heartbeat timeout, and the soak would measure the timeouts rather than the recovery.
 */
const TUNING = {
  api: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '10000' },
  'server-worker': { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '10000' },
  agent: { BACKSTOP_AGENT_HEARTBEAT_MS: '5000' },
};

/** One manual run every 48 s per job on average, on top of its scheduled one per minute. */
const MANUAL_GAP_PER_JOB_MS = 48_000;

function emptyFindings(o: SoakOptions, dir: string, startedAt: number): SoakFindings {
  return {
    options: { minutes: o.minutes, kills: o.kills, jobs: o.jobs, seed: o.seed },
    replay: replayCommand(o),
    topologyDir: dir,
    startedAt: new Date(startedAt).toISOString(),
    durations: { setupMs: 0, chaosMs: 0, drainMs: 0, checksMs: 0, totalMs: 0 },
    exercised: {},
    chaos: { planned: o.kills, done: 0, byClass: {}, byTarget: {}, late: 0, bothApisDown: 0, bothWorkersDown: 0, restartFailures: [], startFailures: [], selfExits: [], kills: [] },
    triggers: { attempted: 0, accepted: 0, acceptedAfterRetry: 0, abandoned: 0, unaccounted: [], lost: [] },
    drained: false,
    runs: judgeRuns([]),
    exposure: { killsDuringRuns: 0, runsThroughKills: 0 },
    temporal: { backupWorkflows: 0, byStatus: {}, open: [], withoutCatalogRun: [] },
    repositories: [],
    consistency: { runsWithMissingSnapshot: [], runsWithoutSnapshot: [], catalogSnapshotsMissing: [] },
    leaks: { processes: [], mounts: [], filesystemSnapshots: [] },
  };
}

/** Stops every Backstop process with SIGTERM, as the topology does: agents, then workers, then APIs. */
async function stopBackstopGracefully(t: Topology): Promise<void> {
  const order: ProductionService[] = ['agent', 'server-worker', 'api'];
  for (const service of order) await Promise.all([...t.members.values()].filter((m) => m.service === service).map((m) => m.stop()));
}

function triggerFindings(ledger: ManualRunLedger, runs: readonly ApiRun[]): SoakFindings['triggers'] {
  const accepted = new Set(ledger.accepted.values());
  const listed = new Set(runs.map((r) => r.id));
  return {
    attempted: ledger.attempted,
    accepted: ledger.accepted.size,
    acceptedAfterRetry: ledger.acceptedAfterRetry,
    abandoned: ledger.abandoned.length,
    unaccounted: runs.filter((r) => runOrigin(r.workflowId) === 'manual' && !accepted.has(r.id)).map((r) => `${r.workflowId} (${r.id})`),
    lost: [...accepted].filter((id) => !listed.has(id)),
  };
}

function consistencyFindings(runs: readonly ApiRun[], repoSnapshots: ReadonlyMap<number, RepoSnapshot[]>, catalogRows: Array<{ id: string; repositoryId: number }>): SoakFindings['consistency'] {
  const good = runs.filter((r) => r.status === 'succeeded' || r.status === 'warning');
  return {
    runsWithMissingSnapshot: good
      .filter((r) => r.snapshotId !== null && absentFrom(repoSnapshots.get(r.repositoryId ?? -1) ?? [], [r.snapshotId]).length > 0)
      .map((r) => `${r.workflowId} → ${r.snapshotId}`),
    runsWithoutSnapshot: good.filter((r) => r.snapshotId === null).map((r) => r.workflowId),
    catalogSnapshotsMissing: catalogRows
      .filter((row) => repoSnapshots.has(row.repositoryId) && absentFrom(repoSnapshots.get(row.repositoryId)!, [row.id]).length > 0)
      .map((row) => `${row.id} (repository ${row.repositoryId})`),
  };
}

export async function runSoak(o: SoakOptions, opts: SoakRunOptions): Promise<SoakReport> {
  const { log } = opts;
  const started = Date.now();
  const phase = { start: started };
  const lap = () => {
    const now = Date.now();
    const ms = now - phase.start;
    phase.start = now;
    return ms;
  };
  log(`seed ${o.seed}: ${o.kills} kills over ${o.minutes} min, ${o.jobs} jobs (replay: ${replayCommand(o)})`);
  const t = await startTopology({ tuning: TUNING });
  const f = emptyFindings(o, t.dir, started);
  log(`topology up in ${t.dir}`);
  const work = mkdtempSync(join(tmpdir(), 'backstop-soak-work-'));
  let fixtures: SoakFixtures | null = null;
  let chaos: ChaosRunner | null = null;
  let manual: ManualRuns | null = null;
  let error: string | undefined;

  try {
    fixtures = await createSoakJobs(t, o.jobs, streamOf(o.seed, 'jobs'));
    f.exercised = fixtures.exercised;
    log(`${fixtures.jobs.length} jobs (${fixtures.jobs.map((j) => `${j.name} on ${j.agent}`).join(', ')})`);
    f.durations.setupMs = lap();

    const components = chaosComponents(t);
    const durationMs = Math.round(o.minutes * 60_000);
    const plan = planChaos({ durationMs, kills: o.kills, targets: components, random: streamOf(o.seed, 'chaos') });
    chaos = new ChaosRunner(components, log);
    manual = new ManualRuns(t.api, fixtures.jobs, streamOf(o.seed, 'load'), { meanGapMs: MANUAL_GAP_PER_JOB_MS / o.jobs, keyPrefix: `soak-${o.seed}-${started}`, log });
    manual.start();
    const chaosEnd = Date.now() + durationMs;
    // The load runs for the whole soak; the chaos until its last restart, which may end a little later.
    await Promise.all([chaos.run(plan), new Promise((r) => setTimeout(r, chaosEnd - Date.now()))]);
    const ledger = await manual.stop();
    manual = null;
    f.chaos = chaos.findings(plan.length);
    f.durations.chaosMs = lap();
    log(`chaos over: ${f.chaos.done}/${plan.length} kills; ${ledger.accepted.size}/${ledger.attempted} manual runs accepted`);
    const down = chaos.failed();
    if (down.length > 0) throw new Error(`${down.join(', ')} did not come back after a kill`);

    await pauseSchedules(t, fixtures.jobs);
    f.drained = await waitUntilDrained(t, opts.drainTimeoutMs ?? 20 * 60_000, (p) => log(`draining: ${p.openWorkflows} backup workflows open, ${p.unfinishedRuns} runs not ended`));
    f.durations.drainMs = lap();
    log(f.drained ? 'drained: every run has ended' : 'drain deadline passed with runs still open');

    // What the system reports, while it still runs.
    const runs = await allBackupRuns(t);
    f.runs = judgeRuns(runs);
    f.exposure = killExposure(
      f.chaos.kills.filter((k) => k.killedAtMs !== null).map((k) => chaos!.startedAt + k.killedAtMs!),
      runs,
    );
    f.triggers = triggerFindings(ledger, runs);
    const workflows = await backupWorkflows(t, false);
    const catalogIds = new Set(runs.map((r) => r.workflowId));
    f.temporal = {
      backupWorkflows: workflows.length,
      byStatus: workflows.reduce<Record<string, number>>((acc, w) => ({ ...acc, [w.status]: (acc[w.status] ?? 0) + 1 }), {}),
      open: workflows.filter((w) => w.status === 'RUNNING').map((w) => w.workflowId),
      withoutCatalogRun: workflows.filter((w) => !catalogIds.has(w.workflowId)).map((w) => `${w.workflowId} (${w.status})`),
    };
    const catalogRows = await retrying(
      'reading catalog snapshots',
      async () => (await t.catalog.pool.query<{ id: string; repository_id: string }>('SELECT id, repository_id FROM snapshots')).rows.map((r) => ({ id: r.id, repositoryId: Number(r.repository_id) })),
      60_000,
      undefined,
      () => true,
    );

    // Then every Backstop process stopped as an operator would, and what is left behind.
    await chaos.stopSupervisor();
    // Again: a process that left on its own during the drain counts too.
    f.chaos = chaos.findings(plan.length);
    await stopBackstopGracefully(t);
    f.leaks = findLeaks({ topologyDir: t.dir, agents: t.agentNames, btrfs: fixtures.btrfs, exceptPids: new Set([t.temporal.pid() ?? -1]) });

    const repoSnapshots = new Map<number, RepoSnapshot[]>();
    for (const repo of fixtures.repositories) {
      log(`checking ${repo.name}: snapshots, locks, restic check, a restore of every snapshot`);
      const r = await checkRepository(repo, fixtures.jobs, work);
      f.repositories.push(r.findings);
      repoSnapshots.set(repo.id, r.snapshots);
    }
    f.consistency = consistencyFindings(runs, repoSnapshots, catalogRows);
    f.durations.checksMs = lap();
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`the soak broke off: ${error}`);
    chaos?.abort();
    if (f.chaos.kills.length === 0 && chaos) f.chaos = chaos.findings(o.kills);
  }

  // Teardown: whatever happened above, nothing the soak opened stays open.
  await manual?.stop().catch(() => undefined);
  await chaos?.stopSupervisor().catch(() => undefined);
  f.durations.totalMs = Date.now() - started;
  let report = reportOf(f, null, error, opts.minSuccessRatio ?? MIN_SUCCESS_RATIO);
  try {
    fixtures?.btrfs?.remove();
  } catch (err) {
    log(`removing the btrfs loop device: ${(err as Error).message}`);
  }
  if (report.verdict === 'fail' || o.keep) {
    // Kept by moving it aside: the topology removes its directory when it stops. Every
    // Backstop process has stopped; the Temporal server keeps writing its log into the moved file.
    const kept = join(tmpdir(), `backstop-soak-${o.seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    try {
      await stopBackstopGracefully(t);
      // The repositories' passwords live only in the catalog, which goes with the topology:
      // kept beside the repositories, so that restic can still open them.
      if (fixtures) {
        const passwords = Object.fromEntries(fixtures.repositories.map((r) => [r.path, r.password]));
        writeFileSync(join(t.dir, 'repos', 'passwords.json'), `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
      }
      renameSync(t.dir, kept);
      report = { ...report, keptDir: kept };
    } catch (err) {
      log(`keeping ${t.dir}: ${(err as Error).message}`);
    }
  }
  await t.stop().catch((err: unknown) => log(`stopping the topology: ${(err as Error).message}`));
  rmSync(work, { recursive: true, force: true });
  // Anything of the topology still alive now escaped even its stop: a leak too, and ended here.
  const escaped = processesUsing(t.dir, new Set()).concat(report.keptDir ? processesUsing(report.keptDir, new Set()) : []);
  if (escaped.length > 0) {
    for (const p of escaped) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    f.leaks.processes.push(...escaped.map((p) => `${p.pid} ${p.cmd.slice(0, 240)} (alive after the topology stopped; killed)`));
    report = { ...reportOf(f, report.keptDir, error, opts.minSuccessRatio ?? MIN_SUCCESS_RATIO) };
  }
  return report;
}

/** Writes the report as JSON and returns the table. */
export function writeReport(report: SoakReport, path: string): string {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return formatReport(report);
}
