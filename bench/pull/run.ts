// Benchmark: pull mode against push mode and plain restic (issue 13, item 8).
//
// On bench:overhead's dataset (default 1 GiB, 20,000 mixed-size files, bench/support/dataset.ts)
// and its real stack (test/support/stack.ts: PostgreSQL, Temporal dev server, API, server
// worker and agent as separate processes, all on this machine), one run measures side by side:
//   - a first full backup: a push job (restic on the agent), a pull job (the agent exports
//     the paths over mTLS with sftp-server, the server worker mounts them with sshfs and runs
//     restic with --ignore-inode) and plain restic, each into its own fresh repository;
//   - no-change incrementals of each into the same repositories.
// Targets: full-backup throughput pull/push >= 0.75; no-change incremental time pull/push
// <= 1.5; files the pull incremental re-read (its run's stats: filesNew + filesChanged) 0.
//
// Timing and fairness as in bench:overhead: a Backstop run is timed from just before
// `POST /v1/jobs/{id}/run` until its workflow's result arrives from Temporal; plain restic
// has the agent's argv shape and environment (backupArgs, resticEnv) and the same binary.
// The three repositories of a round are byte copies of one freshly initialised repository
// (same key derivation cost, same chunker polynomial). Before every measured run `sync`
// (untimed); the page cache is warm for all sides (the dataset is read once first), or
// dropped before every measured run with BENCH_DROP_CACHES=1. The order of the sides rotates
// from round to round and from incremental to incremental, so none always goes first.
//
// Where the pull full backup's time goes: CPU time (utime + stime from /proc) of the agent and
// server-worker node processes and of every process below them during the run (restic,
// sshfs, sftp-server, helpers), next to the machine's whole busy time (bench/pull/cpu.ts).
//
// Environment: BENCH_SIZE_MB (1024), BENCH_FILES (20000), BENCH_FULL_RUNS (3: rounds of
// fresh repositories, medians reported), BENCH_INCREMENTALS (3), BENCH_DROP_CACHES (0),
// BENCH_KEEP=1 keeps the repositories and stack logs.
// Variants for experiments (pull side only; unset by default, the product as it ships):
// BENCH_PULL_SSHFS_OPTS adds `-o <opts>` to sshfs's command line, BENCH_PULL_RESTIC_ARGS adds
// flags to the pull side's `restic backup` (e.g. `--read-concurrency 4`), both through
// wrapper scripts put in the stack's way (PATH, BACKSTOP_RESTIC).
// Exits non-zero only on errors; a missed target prints MISS.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPostgres, type Postgres } from '../../test/support/postgres';
import { startStack, type Stack } from '../../test/support/stack';
import { backupArgs, resticEnv } from '../../activities/shared/engines/restic/args';
import { parseBackupLine, type BackupEvent } from '../../activities/shared/engines/restic/parse';
import { Restic } from '../../activities/shared/engines/restic/restic';
import { runProcess } from '../../activities/shared/process';
import { JOB_TAG_PREFIX, runTag } from '../../contract/names';
import { backupBenchDataset, dropPageCache, warmPageCache, type Dataset } from '../support/dataset';
import { envInt, log, projectToolsFirstOnPath, runBench, tearDown } from '../support/lifecycle';
import type { BackupWorkflowResult } from '../../contract/workflows';
import { CpuSampler, type CpuReport } from './cpu';
import { median, verdict } from '../support/stats';

const ROOT = resolve(__dirname, '..', '..');
const RESTIC = join(ROOT, '.tools', 'bin', 'restic');
const PASSWORD = 'pull-bench-password';
const AGENT = 'local';

const TARGET_FULL_THROUGHPUT = 0.75;
const TARGET_INCREMENTAL_RATIO = 1.5;
const TARGET_REREAD = 0;

type Side = 'push' | 'pull' | 'plain';
const SIDES: Side[] = ['push', 'pull', 'plain'];

interface Sample {
  side: Side;
  /** 1-based position in its round. */
  position: number;
  wallMs: number;
  /** restic's own backup_start -> backup_end. */
  resticMs: number;
  /** filesNew + filesChanged (Backstop: the run's stats from GET /v1/runs/{id}; plain: restic's summary). */
  reread: number;
  cpu: CpuReport;
}

interface Round {
  label: string;
  samples: Record<Side, Sample>;
}

/** One round's three repositories and jobs. */
class Target {
  private lastSecond = new Map<number, string>();
  private plainRuns = 0;

  constructor(
    private readonly stack: Stack,
    private readonly dataset: Dataset,
    private readonly plainRepo: string,
    private readonly plainCache: string,
    private readonly jobs: { push: number; pull: number },
    private readonly dropCaches: boolean,
  ) {}

  private sampler(): CpuSampler {
    return new CpuSampler([
      { label: 'agent (node)', pid: this.stack.pid('agent')! },
      { label: 'server worker (node)', pid: this.stack.pid('server-worker')! },
      // The bench also started the stack, PostgreSQL and Temporal: of its children only plain restic.
      { label: 'this bench process (node: plain restic\'s parent, the sampling)', pid: process.pid, follow: (comm) => comm === 'restic' },
    ]);
  }

  private prepare(): void {
    // A full backup leaves ~1 GiB of dirty repository pages: written out here, untimed.
    execFileSync('sync');
    if (this.dropCaches && !dropPageCache()) throw new Error('BENCH_DROP_CACHES=1 but /proc/sys/vm/drop_caches is not writable');
  }

  async run(side: Side, position: number): Promise<Sample> {
    return side === 'plain' ? this.plain(position) : this.backstop(side, position);
  }

  private async plain(position: number): Promise<Sample> {
    const n = ++this.plainRuns;
    const args = backupArgs({ paths: [this.dataset.dir], excludes: [], tags: [runTag(`bench/plain/${n}`), `${JOB_TAG_PREFIX}0`], host: AGENT });
    const events: BackupEvent[] = [];
    const onLine = (line: string) => {
      const e = parseBackupLine(line);
      if (e.kind !== 'status') events.push(e);
    };
    this.prepare();
    const cpu = this.sampler();
    cpu.start();
    const t0 = performance.now();
    const r = await runProcess(RESTIC, args, { env: resticEnv(this.plainRepo, PASSWORD, {}, this.plainCache), onStdoutLine: onLine, onStderrLine: onLine });
    const wallMs = performance.now() - t0;
    const report = cpu.stop();
    const summary = events.find((e) => e.kind === 'summary');
    if (r.exitCode !== 0 || summary?.kind !== 'summary') throw new Error(`plain restic backup failed (exit ${r.exitCode}): ${r.stderrTail.slice(-500)}`);
    const s = summary.stats;
    return { side: 'plain', position, wallMs, resticMs: s.durationSeconds * 1000, reread: s.filesNew + s.filesChanged, cpu: report };
  }

  private async backstop(side: 'push' | 'pull', position: number): Promise<Sample> {
    const jobId = this.jobs[side];
    // Workflow ids have second precision: a job's second run within the same second is refused.
    while (new Date().toISOString().slice(0, 19) === this.lastSecond.get(jobId)) await new Promise((r) => setTimeout(r, 20));
    this.prepare();
    const cpu = this.sampler();
    cpu.start();
    const wall0 = Date.now();
    const t0 = performance.now();
    const { workflowId, runId } = await this.stack.api.runJob(jobId);
    const result = (await this.stack.temporal.workflow.getHandle(workflowId).result()) as BackupWorkflowResult;
    const wallMs = performance.now() - t0;
    const report = cpu.stop();
    this.lastSecond.set(jobId, new Date(wall0).toISOString().slice(0, 19));
    if (result.status !== 'succeeded' || !result.snapshotId) throw new Error(`${side} run ${workflowId} ended ${result.status}: ${result.failureReason ?? ''}`);
    // The figures the API shows for the run (GET /v1/runs/{id}).
    const run = await this.stack.api.waitForRun(runId, { timeoutMs: 60_000, pollMs: 100 });
    if (!run.stats) throw new Error(`${side} run ${runId} has no stats`);
    return { side, position, wallMs, resticMs: run.stats.durationSeconds * 1000, reread: run.stats.filesNew + run.stats.filesChanged, cpu: report };
  }

  /** All three sides, in the order rotated by `rotation`. */
  async round(label: string, rotation: number): Promise<Round> {
    const order = SIDES.map((_, i) => SIDES[(i + rotation) % SIDES.length]!);
    const samples = {} as Record<Side, Sample>;
    for (const [i, side] of order.entries()) samples[side] = await this.run(side, i + 1);
    log(`${label}: ${order.map((s) => `${s} ${fmtS(samples[s].wallMs)} s`).join(', ')}`);
    return { label, samples };
  }
}

const fmtS = (ms: number) => (ms / 1000).toFixed(2);

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

/** The round whose pull/push figure is the median one. */
function medianRound(rounds: Round[], figure: (r: Round) => number): Round {
  const sorted = [...rounds].sort((a, b) => figure(a) - figure(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function cpuLines(title: string, s: Sample): string[] {
  const c = s.cpu;
  const cpus = c.machineCapacityS / (c.wallMs / 1000);
  const lines = [`  ${title} (wall ${fmtS(c.wallMs)} s, ${cpus.toFixed(1)} CPUs => ${c.machineCapacityS.toFixed(1)} CPU-s available):`];
  const entries: Array<[string, number]> = [
    ...c.children.map((x): [string, number] => [`${x.comm}${x.processes > 1 ? ` (${x.processes} processes)` : ''}`, x.cpuS]),
    ...c.roots.map((r): [string, number] => [r.label, r.cpuS]),
  ];
  const listed = entries.reduce((a, [, v]) => a + v, 0);
  for (const [name, v] of entries) {
    if (v < 0.005) continue;
    lines.push(`    ${name.padEnd(62)} ${v.toFixed(2).padStart(7)} CPU-s  ${((100 * v) / (c.wallMs / 1000)).toFixed(0).padStart(4)}% of one CPU`);
  }
  lines.push(`    ${'everything else (Temporal, PostgreSQL, API, kernel, other load)'.padEnd(62)} ${(c.machineBusyS - listed).toFixed(2).padStart(7)} CPU-s`);
  lines.push(`    ${'machine busy, all CPUs (/proc/stat)'.padEnd(62)} ${c.machineBusyS.toFixed(2).padStart(7)} CPU-s  ${((100 * c.machineBusyS) / c.machineCapacityS).toFixed(0).padStart(4)}% of the machine`);
  return lines;
}

function report(dataset: Dataset, fulls: Round[], incs: Round[], caches: string, variant: string): string {
  const out: string[] = [];
  const mib = dataset.bytes / 2 ** 20;
  out.push('');
  out.push(`Pull mode vs push mode vs plain restic (${RESTIC.replace(`${ROOT}/`, '')}, each side into its own repository)`);
  out.push(`dataset: ${dataset.files} files in ${dataset.dirs} directories, ${mib.toFixed(0)} MiB; page cache: ${caches}`);
  if (variant) out.push(`pull-side variant: ${variant}`);
  out.push('');
  const w = [34, 8, 8, 8, 10, 10, 10];
  const med = (rounds: Round[], side: Side, f: (s: Sample) => number) => median(rounds.map((r) => f(r.samples[side])));
  out.push(row(['wall time, s (median)', 'push', 'pull', 'plain', 'pull/push', 'push/plain', 'pull/plain'], w));
  for (const [label, rounds] of [[`first full backup (${fulls.length} rounds)`, fulls], [`no-change incremental (${incs.length})`, incs]] as const) {
    if (rounds.length === 0) continue;
    const t = (side: Side) => med(rounds, side, (s) => s.wallMs);
    out.push(
      row(
        [
          label,
          fmtS(t('push')),
          fmtS(t('pull')),
          fmtS(t('plain')),
          median(rounds.map((r) => r.samples.pull.wallMs / r.samples.push.wallMs)).toFixed(3),
          median(rounds.map((r) => r.samples.push.wallMs / r.samples.plain.wallMs)).toFixed(3),
          median(rounds.map((r) => r.samples.pull.wallMs / r.samples.plain.wallMs)).toFixed(3),
        ],
        w,
      ),
    );
  }
  out.push('');
  // Throughput: the same bytes over each side's wall time; ratios are medians of per-round ratios.
  const thr = (side: Side) => mib / (med(fulls, side, (s) => s.wallMs) / 1000);
  const thrRatio = (a: Side, b: Side) => median(fulls.map((r) => r.samples[b].wallMs / r.samples[a].wallMs));
  out.push(`full-backup throughput: push ${thr('push').toFixed(1)} MiB/s, pull ${thr('pull').toFixed(1)} MiB/s, plain restic ${thr('plain').toFixed(1)} MiB/s`);
  const fullRatio = thrRatio('pull', 'push');
  out.push(`  pull/push throughput ratio   ${fullRatio.toFixed(3)}   target >= ${TARGET_FULL_THROUGHPUT}   ${verdict(fullRatio >= TARGET_FULL_THROUGHPUT)}`);
  out.push(`  push/plain throughput ratio  ${thrRatio('push', 'plain').toFixed(3)}`);
  out.push(`  pull/plain throughput ratio  ${thrRatio('pull', 'plain').toFixed(3)}`);
  out.push(`  restic's own run (median): push ${fmtS(med(fulls, 'push', (s) => s.resticMs))} s, pull ${fmtS(med(fulls, 'pull', (s) => s.resticMs))} s, plain ${fmtS(med(fulls, 'plain', (s) => s.resticMs))} s`);
  if (incs.length > 0) {
    const incRatio = median(incs.map((r) => r.samples.pull.wallMs / r.samples.push.wallMs));
    out.push(`no-change incremental time ratio pull/push  ${incRatio.toFixed(3)}   target <= ${TARGET_INCREMENTAL_RATIO}   ${verdict(incRatio <= TARGET_INCREMENTAL_RATIO)}`);
    out.push(`  restic's own run (median): push ${fmtS(med(incs, 'push', (s) => s.resticMs))} s, pull ${fmtS(med(incs, 'pull', (s) => s.resticMs))} s, plain ${fmtS(med(incs, 'plain', (s) => s.resticMs))} s`);
    const reread = Math.max(...incs.map((r) => r.samples.pull.reread));
    out.push(
      `files re-read by the pull incremental (run stats filesNew + filesChanged, worst of ${incs.length})  ${reread}   target ${TARGET_REREAD}   ${verdict(reread <= TARGET_REREAD)}` +
        `   (push: ${Math.max(...incs.map((r) => r.samples.push.reread))}, plain: ${Math.max(...incs.map((r) => r.samples.plain.reread))})`,
    );
  }
  out.push('', 'samples (wall s, [position in its round], restic\'s own s):');
  for (const r of [...fulls, ...incs]) {
    out.push(`  ${r.label.padEnd(18)} ${SIDES.map((s) => `${s} ${fmtS(r.samples[s].wallMs)} [${r.samples[s].position}] (${fmtS(r.samples[s].resticMs)})`).join('   ')}`);
  }
  const mr = medianRound(fulls, (r) => r.samples.pull.wallMs / r.samples.push.wallMs);
  out.push('', `where the time goes: CPU time (utime+stime, /proc) during the median round's (${mr.label}) runs; processes below the agent and server`);
  out.push('worker are sampled every 50 ms (a process\'s last moments before it exits are missed), the node processes read before and after:');
  out.push(...cpuLines('pull full backup', mr.samples.pull));
  out.push(...cpuLines('push full backup', mr.samples.push));
  out.push(...cpuLines('plain restic full backup', mr.samples.plain));
  if (incs.length > 0) {
    const mi = medianRound(incs, (r) => r.samples.pull.wallMs / r.samples.push.wallMs);
    out.push(...cpuLines(`pull no-change incremental (${mi.label})`, mi.samples.pull));
  }
  return out.join('\n');
}

/** Wrapper scripts for the pull-side variants; returns the stack environment they need. */
function variants(work: string): { env: Record<string, string>; text: string } {
  const sshfsOpts = process.env.BENCH_PULL_SSHFS_OPTS ?? '';
  const resticArgs = process.env.BENCH_PULL_RESTIC_ARGS ?? '';
  const env: Record<string, string> = { BACKSTOP_RESTIC: RESTIC };
  const text: string[] = [];
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  if (sshfsOpts) {
    const real = execFileSync('sh', ['-c', 'command -v sshfs'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'sshfs'), `#!/bin/sh\nexec ${q(real)} -o ${q(sshfsOpts)} "$@"\n`);
    chmodSync(join(bin, 'sshfs'), 0o755);
    env.PATH = [bin, process.env.PATH].join(delimiter);
    text.push(`sshfs -o ${sshfsOpts}`);
  }
  if (resticArgs) {
    // Only the pull side's backups carry --ignore-inode.
    const script = `#!/bin/sh\nif [ "$1" = backup ]; then case " $* " in *" --ignore-inode "*) shift; exec ${q(RESTIC)} backup ${resticArgs} "$@";; esac; fi\nexec ${q(RESTIC)} "$@"\n`;
    writeFileSync(join(bin, 'restic'), script);
    chmodSync(join(bin, 'restic'), 0o755);
    env.BACKSTOP_RESTIC = join(bin, 'restic');
    text.push(`restic backup ${resticArgs}`);
  }
  return { env, text: text.join('; ') };
}

async function main(): Promise<void> {
  const fullRuns = envInt('BENCH_FULL_RUNS', 3, 1);
  const incrementals = envInt('BENCH_INCREMENTALS', 3, 0);
  const dropCaches = process.env.BENCH_DROP_CACHES === '1';
  if (!existsSync(RESTIC)) throw new Error(`${RESTIC} is missing: run scripts/setup.sh first`);
  projectToolsFirstOnPath();

  const dataset = backupBenchDataset();

  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-pull-'));
  let pg: Postgres | undefined;
  let stack: Stack | undefined;
  try {
    const variant = variants(work);
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url, env: variant.env });
    log(`stack up (logs in ${stack.dir}/logs)${variant.text ? `; pull-side variant: ${variant.text}` : ''}`);

    // Unmeasured warm-up runs of a tiny job in each mode: the server worker's first workflow
    // task builds its sandbox once per process, and pull mode's first run issues the
    // server worker's export certificate.
    const warmDir = join(work, 'warmup');
    mkdirSync(warmDir);
    writeFileSync(join(warmDir, 'file'), 'warm-up\n');
    const warmRepo = await stack.api.createRepository({ name: 'warmup', url: join(work, 'repo-warmup'), password: PASSWORD });
    for (const mode of ['push', 'pull'] as const) {
      const job = await stack.api.createJob({ name: `warmup-${mode}`, agent: AGENT, repositoryId: warmRepo.id, paths: [warmDir], mode });
      const r = (await stack.temporal.workflow.getHandle((await stack.api.runJob(job.id)).workflowId).result()) as BackupWorkflowResult;
      if (r.status !== 'succeeded') throw new Error(`warm-up ${mode} run ended ${r.status}: ${r.failureReason ?? ''}`);
    }

    let caches = 'dropped before every measured run';
    if (!dropCaches) {
      warmPageCache(dataset.dir);
      caches = 'warm for every side (dataset read once before the first run)';
    }
    const fulls: Round[] = [];
    let target: Target | undefined;
    let lastDir: string | undefined;
    for (let round = 1; round <= fullRuns; round++) {
      if (lastDir) rmSync(lastDir, { recursive: true, force: true });
      const dir = join(work, `round-${round}`);
      const plainRepo = join(dir, 'repo-plain');
      await new Restic({ binary: RESTIC, cacheDir: join(dir, 'plain-cache') }).init({ url: plainRepo, password: PASSWORD });
      // Byte copies of one initialised repository (see bench:overhead for why).
      const jobs = { push: 0, pull: 0 };
      for (const mode of ['push', 'pull'] as const) {
        cpSync(plainRepo, join(dir, `repo-${mode}`), { recursive: true });
        const repo = await stack.api.createRepository({ name: `bench-${round}-${mode}`, url: join(dir, `repo-${mode}`), password: PASSWORD, init: false });
        jobs[mode] = (await stack.api.createJob({ name: `bench-${round}-${mode}`, agent: AGENT, repositoryId: repo.id, paths: [dataset.dir], mode })).id;
      }
      target = new Target(stack, dataset, plainRepo, join(dir, 'plain-cache'), jobs, dropCaches);
      fulls.push(await target.round(`full #${round}`, round - 1));
      lastDir = dir;
    }
    const incs: Round[] = [];
    for (let i = 0; i < incrementals; i++) incs.push(await target!.round(`incremental #${i + 1}`, fullRuns + i));
    process.stdout.write(`${report(dataset, fulls, incs, caches, variant.text)}\n`);
  } finally {
    await tearDown({ stack, pg, work });
  }
}

runBench(main);
