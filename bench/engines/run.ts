// Benchmark: Backstop against each backup engine run directly, restic and borg side by side.
//
// One run measures, per engine, on the same generated dataset (default 1 GiB in 20,000
// mixed-size files, bench/support/dataset.ts, as bench:overhead and bench:pull):
//   - a first full backup into a fresh repository: the engine alone vs a Backstop job, target
//     ratio Backstop/engine <= 1.05x (median of the per-round ratios);
//   - N no-change incrementals each into the last round's repositories (default 5): target
//     median overhead (Backstop median - engine median) <= 400 ms.
//
// Backstop is the real stack, started as the integration tests start it and as bench:overhead
// drives it (test/support/stack.ts: PostgreSQL, Temporal dev server, API, server worker and
// agent as separate processes). A Backstop run is timed from just before
// `POST /v1/jobs/{id}/run` until the workflow's result arrives from Temporal
// (`getHandle(workflowId).result()`, no polling); its repository is created through the API
// with `{"engine": "<engine>", "url": …, "password": …, "init": false}` (a byte copy of the
// engine side's freshly initialised repository: same key, same chunker parameters).
//
// The engine alone runs the binary the agent runs, with the argv and environment Backstop's
// engine class builds, through the same runProcess the agent uses, into a repository of its
// own; the tags are a run tag and a job tag as the agent's (`backstop-run=bench/direct/<n>`,
// `backstop-job=0`), host `local` as the agent's name:
//   - restic (bench/engines/restic.ts): `restic backup --json --host local --tag … --tag …
//     -- <dataset>` from backupArgs() in activities/shared/engines/restic/args.ts, environment
//     from resticEnv() (RESTIC_REPOSITORY, RESTIC_PASSWORD, RESTIC_PROGRESS_FPS=2,
//     RESTIC_CACHE_DIR of its own);
//   - borg (bench/engines/borg.ts): `borg create --json --progress --list --log-json
//     --lock-wait 10 --comment <Backstop's JSON comment> <repo>::<archive name> -- <dataset>`
//     from createArgs() in activities/shared/engines/borg/args.ts, environment from borgEnv()
//     (BORG_PASSPHRASE, TZ=UTC, BORG_HOSTNAME_IS_UNIQUE=yes, the two *_IS_OK=no,
//     BORG_BASE_DIR of its own); stderr's JSON lines are read as the Borg class reads them.
// The report prints each engine's exact command line.
//
// Fairness as in bench:overhead: sides alternate which goes first in each pair (E B, B E, …);
// `sync` (untimed) before every measured run; the page cache is warm for both sides (the
// dataset is read again, untimed, before every measured run: a single warm-up went cold
// between runs on the 2-core VM this was written on), or dropped before every measured run
// with BENCH_DROP_CACHES=1 (root only). An unmeasured tiny job per engine first builds
// the server worker's workflow sandbox and the agent's first engine process.
// After the incrementals the catalog's snapshots of the job are checked against the ones the
// engine lists (same ids, one per run): fast must not mean wrong.
//
// An engine the stack does not have (its code not wired into the API and workers yet) or whose
// binary is missing is reported as "<engine>: not available (why)" and skipped; any failed
// backup fails the bench.
//
// Environment: BENCH_SIZE_MB (1024), BENCH_FILES (20000) — e.g. BENCH_SIZE_MB=64
// BENCH_FILES=2000 for a quick check —, BENCH_FULL_RUNS (4: rounds of fresh repositories,
// medians reported; keep it even), BENCH_INCREMENTALS (5), BENCH_ENGINES (restic,borg),
// BENCH_DROP_CACHES (0), BENCH_KEEP=1 keeps the repositories and stack logs. BACKSTOP_BORG
// names the borg binary (default: borg on PATH), for both sides.
// Exits non-zero only on errors; a missed target prints MISS.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPostgres, type Postgres } from '../../test/support/postgres';
import { startStack, type Stack } from '../../test/support/stack';
import { JOB_TAG_PREFIX } from '../../contract/names';
import type { EngineKind } from '../../contract/engine';
import type { BackupWorkflowResult } from '../../contract/workflows';
import { backupBenchDataset, dropPageCache, warmPageCache, type Dataset } from '../support/dataset';
import { timelineOf, type Timeline } from '../support/timeline';
import { envInt, log, projectToolsFirstOnPath, runBench, tearDown } from '../support/lifecycle';
import type { BenchEngine, DirectRun } from './engine';
import { BorgBench } from './borg';
import { ResticBench } from './restic';
import { median, verdict } from '../support/stats';

const ROOT = resolve(__dirname, '..', '..');
const RESTIC = join(ROOT, '.tools', 'bin', 'restic');
const PASSWORD = 'engines-bench-password';
const AGENT = 'local';

const TARGET_FULL_RATIO = 1.05;
const TARGET_INCREMENTAL_MS = 400;

interface Pair {
  label: string;
  order: 'engine first' | 'backstop first';
  direct: DirectRun;
  backstopMs: number;
  /** The engine's own duration inside Backstop's run (the run's stats). */
  backstopEngineMs: number;
  /** Client clock: POST sent -> workflow started (server clock, same machine). */
  startMs: number;
  /** Workflow closed -> result received by this client. */
  resultMs: number;
  timeline: Timeline;
}

type EngineResult =
  | { kind: EngineKind; available: true; binary: string; commandLine: string; fulls: Pair[]; incs: Pair[] }
  | { kind: EngineKind; available: false; why: string };

/** Errors that say the stack has no such engine (not wired into the API or the workers yet). */
const NOT_WIRED = /no \w+ engine is configured here|repositories cannot be used by this process|must be equal to one of the allowed values/i;

class NotAvailable extends Error {}

const sync = () => execFileSync('sync');

class Pairs {
  private lastBackstopSecond = '';
  private directRuns = 0;

  constructor(
    private readonly stack: Stack,
    private readonly engine: BenchEngine,
    private readonly directRepo: string,
    private readonly jobId: number,
    private readonly dataset: Dataset,
    private readonly dropCaches: boolean,
  ) {}

  private prepare(): void {
    // A full backup leaves ~1 GiB of dirty repository pages: written out here, untimed, so the
    // kernel's writeback does not slow whichever side runs next.
    sync();
    if (this.dropCaches) {
      if (!dropPageCache()) throw new Error('BENCH_DROP_CACHES=1 but /proc/sys/vm/drop_caches is not writable');
    } else {
      // Read the dataset again before every run, not once per engine: on this VM the guest's
      // page cache goes cold between runs (proactive reclaim), and with a single warm-up only
      // the first run after it read from memory (round 1 ran ~2x faster for whichever side went
      // first, inside the engine itself).
      warmPageCache(this.dataset.dir);
    }
  }

  async direct(): Promise<DirectRun> {
    this.prepare();
    return this.engine.direct(this.directRepo, this.dataset, ++this.directRuns);
  }

  async backstop(): Promise<Omit<Pair, 'label' | 'order' | 'direct'>> {
    // Workflow ids have second precision and a second run of a job within the same second is
    // refused: wait (outside the measurement) for the next second if needed.
    while (new Date().toISOString().slice(0, 19) === this.lastBackstopSecond) await new Promise((r) => setTimeout(r, 20));
    this.prepare();
    const wall0 = Date.now();
    const t0 = performance.now();
    const { workflowId } = await this.stack.api.runJob(this.jobId);
    const handle = this.stack.temporal.workflow.getHandle(workflowId);
    const result = (await handle.result()) as BackupWorkflowResult;
    const backstopMs = performance.now() - t0;
    const wall1 = Date.now();
    this.lastBackstopSecond = new Date(wall0).toISOString().slice(0, 19);
    if (result.status !== 'succeeded' || !result.snapshotId) throw new Error(`Backstop ${this.engine.kind} run ${workflowId} ended ${result.status}: ${result.failureReason ?? ''}`);
    const timeline = timelineOf((await handle.fetchHistory()).events ?? []);
    return { backstopMs, backstopEngineMs: (result.stats?.durationSeconds ?? NaN) * 1000, timeline, startMs: timeline.startedAt - wall0, resultMs: wall1 - timeline.closedAt };
  }

  async pair(label: string, directFirst: boolean): Promise<Pair> {
    let direct: DirectRun;
    let b: Awaited<ReturnType<Pairs['backstop']>>;
    if (directFirst) {
      direct = await this.direct();
      b = await this.backstop();
    } else {
      b = await this.backstop();
      direct = await this.direct();
    }
    const pair: Pair = { label, order: directFirst ? 'engine first' : 'backstop first', direct, ...b };
    log(`${this.engine.kind} ${label}: engine ${fmtS(direct.wallMs)} s, backstop ${fmtS(pair.backstopMs)} s (${pair.order})`);
    return pair;
  }
}

const fmtS = (ms: number) => (ms / 1000).toFixed(3);
const fmtMs = (ms: number) => ms.toFixed(0);

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

/** Backstop's wall time minus its engine's own run, less the same for the engine alone (process start, exit). */
const outsideEngine = (p: Pair) => p.backstopMs - p.backstopEngineMs - (p.direct.wallMs - p.direct.engineMs);

/** The pair whose overhead is the median one: it shows where the time typically goes. */
function medianPair(pairs: Pair[]): Pair {
  const sorted = [...pairs].sort((a, b) => a.backstopMs - a.direct.wallMs - (b.backstopMs - b.direct.wallMs));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function report(dataset: Dataset, results: EngineResult[], caches: string): string {
  const out: string[] = [];
  const w = [7, 38, 9, 11, 7, 12, 11, 6];
  out.push('');
  out.push('Backstop vs the backup engine run directly (each side into its own repository)');
  out.push(`dataset: ${dataset.files} files in ${dataset.dirs} directories, ${(dataset.bytes / 2 ** 20).toFixed(0)} MiB; page cache: ${caches}`);
  out.push('');
  out.push(row(['engine', 'run', 'engine s', 'backstop s', 'ratio', 'overhead ms', 'target', 'result'], w));
  for (const r of results) {
    if (!r.available) {
      out.push(`${r.kind.padEnd(w[0]!)}  not available (${r.why})`);
      continue;
    }
    // Medians of the per-pair figures: a pair shares the machine's mood, so noise from other
    // load cancels within a pair more than across pairs.
    const fullRatio = median(r.fulls.map((p) => p.backstopMs / p.direct.wallMs));
    out.push(
      row(
        [
          r.kind,
          `first full backup (median of ${r.fulls.length})`,
          fmtS(median(r.fulls.map((p) => p.direct.wallMs))),
          fmtS(median(r.fulls.map((p) => p.backstopMs))),
          fullRatio.toFixed(3),
          fmtMs(median(r.fulls.map((p) => p.backstopMs - p.direct.wallMs))),
          `<= ${TARGET_FULL_RATIO}x`,
          verdict(fullRatio <= TARGET_FULL_RATIO),
        ],
        w,
      ),
    );
    if (r.incs.length > 0) {
      const engineMed = median(r.incs.map((p) => p.direct.wallMs));
      const backstopMed = median(r.incs.map((p) => p.backstopMs));
      const overhead = backstopMed - engineMed;
      out.push(
        row(
          [
            r.kind,
            `no-change incremental (median of ${r.incs.length})`,
            fmtS(engineMed),
            fmtS(backstopMed),
            (backstopMed / engineMed).toFixed(3),
            fmtMs(overhead),
            `<= ${TARGET_INCREMENTAL_MS} ms`,
            verdict(overhead <= TARGET_INCREMENTAL_MS),
          ],
          w,
        ),
      );
    }
  }
  out.push('');
  out.push('ratio: median of the per-pair ratios (full); Backstop median / engine median (incremental). overhead: Backstop median - engine median.');
  for (const r of results) {
    if (!r.available) continue;
    out.push('');
    out.push(`${r.kind}: ${r.binary}`);
    out.push(`  engine alone: ${r.commandLine}`);
    // On a loaded machine the engine itself runs slower or faster from one run to the next;
    // the time Backstop adds around the engine's own run does not depend on that.
    out.push(
      `  overhead outside the engine's own run (median): full ${fmtMs(median(r.fulls.map(outsideEngine)))} ms` +
        (r.incs.length > 0 ? `, no-change incremental ${fmtMs(median(r.incs.map(outsideEngine)))} ms` : ''),
    );
    if (r.incs.length > 0) {
      out.push(`  files re-read by the no-change incrementals (engine alone, worst of ${r.incs.length}): ${Math.max(...r.incs.map((p) => p.direct.reread))}`);
    }
    out.push('  samples:');
    for (const p of [...r.fulls, ...r.incs]) {
      out.push(
        `    ${`${p.label} (${p.order})`.padEnd(34)} engine ${fmtS(p.direct.wallMs)} s, backstop ${fmtS(p.backstopMs)} s, ratio ${(p.backstopMs / p.direct.wallMs).toFixed(3)}, ` +
          `overhead ${fmtMs(p.backstopMs - p.direct.wallMs)} ms; engine's own run: alone ${fmtS(p.direct.engineMs)} s, in Backstop ${fmtS(p.backstopEngineMs)} s`,
      );
    }
    if (r.incs.length > 0) out.push(...breakdown(r.kind, medianPair(r.incs)));
    out.push(...breakdown(r.kind, medianPair(r.fulls)));
  }
  return out.join('\n');
}

function breakdown(kind: EngineKind, p: Pair): string[] {
  const t = p.timeline;
  const lines = [`  where the time goes (${kind} ${p.label}; Backstop ${fmtMs(p.backstopMs)} ms, ${kind} alone ${fmtMs(p.direct.wallMs)} ms):`];
  lines.push(`    POST /run -> workflow started             ${fmtMs(p.startMs).padStart(7)} ms`);
  for (const a of t.activities) {
    lines.push(`    ${`${a.name}${a.attempt > 1 ? ` (attempt ${a.attempt})` : ''}`.padEnd(26)} queued ${fmtMs(a.queueMs).padStart(5)} ms   ran ${fmtMs(a.runMs).padStart(7)} ms`);
  }
  lines.push(`    workflow tasks (decide next step)         ${fmtMs(t.workflowTaskMs).padStart(7)} ms`);
  if (t.localActivities.length > 0) lines.push(`      of which local activities: ${t.localActivities.join(', ')}`);
  const engine = t.activities.find((a) => a.name === 'runBackup');
  if (engine) lines.push(`    runBackup minus ${kind} alone (agent side) ${fmtMs(engine.runMs - p.direct.wallMs).padStart(6)} ms`);
  lines.push(`    workflow closed -> result at client       ${fmtMs(p.resultMs).padStart(7)} ms`);
  return lines;
}

/** Every snapshot the catalog recorded for the job must be one the engine holds (same id, time, host, paths, tags), one per run. */
async function checkCatalog(stack: Stack, engine: BenchEngine, jobId: number, repo: string, runs: number): Promise<void> {
  const inEngine = await engine.snapshotsByTag(repo, `${JOB_TAG_PREFIX}${jobId}`);
  const inCatalog = await stack.api.listSnapshots(jobId);
  if (inEngine.length !== runs || inCatalog.length !== runs) throw new Error(`${engine.kind}: expected ${runs} snapshots, the engine has ${inEngine.length}, the catalog ${inCatalog.length}`);
  for (const c of inCatalog) {
    const e = inEngine.find((s) => s.id === c.id);
    const same = e && Math.abs(Date.parse(e.time) - Date.parse(c.time)) < 1 && e.hostname === c.hostname;
    if (!same || JSON.stringify(e.paths) !== JSON.stringify(c.paths) || JSON.stringify([...e.tags].sort()) !== JSON.stringify([...c.tags].sort())) {
      throw new Error(`${engine.kind}: catalog snapshot ${c.id} does not match the engine's: ${JSON.stringify({ catalog: c, engine: e ?? null })}`);
    }
  }
}

/** A repository through the API; NotAvailable when the stack has no such engine. */
async function createRepository(stack: Stack, kind: EngineKind, name: string, url: string, init: boolean): Promise<number> {
  try {
    return (await stack.api.createRepository({ name, engine: kind, url, password: PASSWORD, init })).id;
  } catch (e) {
    const msg = (e as Error).message;
    if (NOT_WIRED.test(msg)) throw new NotAvailable(`the stack refused a ${kind} repository: ${msg}`);
    throw e;
  }
}

async function measure(stack: Stack, engine: BenchEngine, work: string, dataset: Dataset, o: { fullRuns: number; incrementals: number; dropCaches: boolean }): Promise<EngineResult> {
  const why = await engine.unavailable();
  if (why) return { kind: engine.kind, available: false, why };
  const base = join(work, engine.kind);
  mkdirSync(base, { recursive: true });
  try {
    // One unmeasured run of a tiny job first: the server worker builds its workflow sandbox at
    // its first workflow task, and the agent starts its first engine process; a long-running
    // worker paid for both long ago. Also the stack's answer to "do you have this engine?".
    const warmDir = join(base, 'warmup');
    mkdirSync(warmDir);
    writeFileSync(join(warmDir, 'file'), 'warm-up\n');
    const warmRepo = await createRepository(stack, engine.kind, `${engine.kind}-warmup`, join(base, 'repo-warmup'), true);
    const warmJob = await stack.api.createJob({ name: `${engine.kind}-warmup`, agent: AGENT, repositoryId: warmRepo, paths: [warmDir] });
    const warm = (await stack.temporal.workflow.getHandle((await stack.api.runJob(warmJob.id)).workflowId).result()) as BackupWorkflowResult;
    if (warm.status !== 'succeeded') {
      const reason = warm.failureReason ?? '';
      if (NOT_WIRED.test(reason)) throw new NotAvailable(`the workers have no ${engine.kind} engine: ${reason}`);
      throw new Error(`${engine.kind} warm-up run ended ${warm.status}: ${reason}`);
    }
  } catch (e) {
    if (e instanceof NotAvailable) return { kind: engine.kind, available: false, why: e.message };
    throw e;
  }

  // Each round: a fresh repository on each side and a first full backup into it; the last
  // round's repositories then take the no-change incrementals. Order alternates over all
  // pairs: E B, B E, E B, …
  const fulls: Pair[] = [];
  let pairs: Pairs | undefined;
  let last: { dir: string; jobId: number; backstopRepo: string } | undefined;
  let commandLine = '';
  for (let round = 1; round <= o.fullRuns; round++) {
    if (last) rmSync(last.dir, { recursive: true, force: true });
    const dir = join(base, `round-${round}`);
    mkdirSync(dir);
    const repos = await engine.freshRepos(dir);
    const repoId = await createRepository(stack, engine.kind, `${engine.kind}-bench-${round}`, repos.backstop, false);
    const job = await stack.api.createJob({ name: `${engine.kind}-bench-${round}`, agent: AGENT, repositoryId: repoId, paths: [dataset.dir] });
    pairs = new Pairs(stack, engine, repos.direct, job.id, dataset, o.dropCaches);
    fulls.push(await pairs.pair(`full #${round}`, round % 2 === 1));
    last = { dir, jobId: job.id, backstopRepo: repos.backstop };
    commandLine = engine.commandLine(repos.direct, dataset);
  }
  const incs: Pair[] = [];
  for (let i = 0; i < o.incrementals; i++) incs.push(await pairs!.pair(`incremental #${i + 1}`, (o.fullRuns + i) % 2 === 0));
  await checkCatalog(stack, engine, last!.jobId, last!.backstopRepo, 1 + o.incrementals);
  return { kind: engine.kind, available: true, binary: engine.describe(), commandLine, fulls, incs };
}

/** BACKSTOP_BORG, else borg on PATH as an absolute path (both sides and the stack run that one), else plain `borg`. */
function borgBinary(): string {
  if (process.env.BACKSTOP_BORG) return process.env.BACKSTOP_BORG;
  try {
    return execFileSync('sh', ['-c', 'command -v borg'], { encoding: 'utf8' }).trim() || 'borg';
  } catch {
    return 'borg';
  }
}

async function main(): Promise<void> {
  const fullRuns = envInt('BENCH_FULL_RUNS', 4, 1);
  const incrementals = envInt('BENCH_INCREMENTALS', 5, 0);
  const dropCaches = process.env.BENCH_DROP_CACHES === '1';
  const wanted = (process.env.BENCH_ENGINES || 'restic,borg').split(',').map((s) => s.trim());
  // The project's tools first on PATH, as jest.config.js does for the tests: both sides run the same binaries.
  projectToolsFirstOnPath();
  const borg = borgBinary();
  const engines: Record<string, BenchEngine> = {
    restic: new ResticBench(RESTIC, PASSWORD, AGENT),
    borg: new BorgBench(borg, PASSWORD, AGENT),
  };
  for (const name of wanted) if (!engines[name]) throw new Error(`BENCH_ENGINES: unknown engine ${JSON.stringify(name)} (${Object.keys(engines).join(', ')})`);

  const dataset = backupBenchDataset();
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-engines-'));
  let pg: Postgres | undefined;
  let stack: Stack | undefined;
  try {
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: RESTIC, BACKSTOP_BORG: borg } });
    log(`stack up (logs in ${stack.dir}/logs)`);
    const results: EngineResult[] = [];
    for (const name of wanted) {
      const result = await measure(stack, engines[name]!, work, dataset, { fullRuns, incrementals, dropCaches });
      if (!result.available) log(`${name}: not available (${result.why})`);
      results.push(result);
    }
    const caches = dropCaches ? 'dropped before every measured run' : 'warm for both sides (dataset read, untimed, before every measured run)';
    process.stdout.write(`${report(dataset, results, caches)}\n`);
  } finally {
    await tearDown({ stack, pg, work });
  }
}

runBench(main);
