// Benchmark: the embedded stack's memory at rest (issue 11).
//
// Starts `backstop up` exactly as README command 1 does (sample backup and restore included),
// on a fresh data directory and free ports, waits until it is up, lets it settle, and reads
// the memory of every process in the launcher's tree from /proc: RSS (what `ps` shows;
// shared pages counted in every process that maps them) and PSS (shared pages split among
// the processes that share them, so the PSS of the processes adds up to what they cost
// together). Processes are grouped by role (launcher, temporal, catalog, api, server-worker,
// agent) from their command lines.
//
// Targets: the agent <= 100 MB RSS; the whole stack <= 1 GB (sum of PSS).
// Environment: BENCH_SETTLE_MS (20000) how long the stack rests before it is read,
// BENCH_KEEP=1 keeps the data directory.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envInt, keepRequested, log, runBench } from '../support/lifecycle';
import { freeUpPorts, startUp, untilUp } from '../../test/support/up';
import { processTree } from '../../test/support/procfs';
import { verdict } from '../support/stats';

const AGENT_TARGET_MB = 100;
const SAMPLES = 3;
const STACK_TARGET_MB = 1024;

/** kB fields of /proc/<pid>/smaps_rollup (Rss, Pss). */
function memoryKb(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss') };
}

/** The role of a process of the embedded stack, from its command line. */
export function roleOf(cmd: string, launcherPid: number, pid: number): string {
  if (pid === launcherPid) return 'launcher';
  if (/\btemporal\b.*server start-dev/.test(cmd)) return 'temporal';
  if (/postgres|pglite/.test(cmd)) return 'catalog';
  if (/\bmain\.(ts|js) api\b/.test(cmd)) return 'api';
  if (/\bmain\.(ts|js) worker server\b/.test(cmd)) return 'server-worker';
  if (/\bmain\.(ts|js) agent\b/.test(cmd)) return 'agent';
  return 'other';
}

const mb = (kb: number) => (kb / 1024).toFixed(0);

async function main(): Promise<void> {
  const settleMs = envInt('BENCH_SETTLE_MS', 20_000, 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-footprint-'));
  log(`starting backstop up in ${dataDir}`);
  const up = startUp(dataDir, await freeUpPorts());
  try {
    await untilUp(up, /Restore check: \d+ files restored byte-equal/, 600_000);
    log(`up; resting ${settleMs} ms`);
    await new Promise((r) => setTimeout(r, settleMs));
    const launcher = up.proc.pid!;
    // Three readings 5 s apart, the median per role: one reading catches a process between
    // a timer's work and the next garbage collection.
    const readings: Array<Map<string, { n: number; rss: number; pss: number }>> = [];
    for (let i = 0; i < SAMPLES; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 5_000));
      const byRole = new Map<string, { n: number; rss: number; pss: number }>();
      for (const p of processTree(launcher)) {
        let m: { rss: number; pss: number };
        try {
          m = memoryKb(p.pid);
        } catch {
          continue;
        }
        const role = roleOf(p.cmd, launcher, p.pid);
        const r = byRole.get(role) ?? { n: 0, rss: 0, pss: 0 };
        byRole.set(role, { n: r.n + 1, rss: r.rss + m.rss, pss: r.pss + m.pss });
      }
      readings.push(byRole);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rows = new Map<string, { n: number; rss: number; pss: number }>();
    for (const role of new Set(readings.flatMap((r) => [...r.keys()]))) {
      const of = readings.map((r) => r.get(role) ?? { n: 0, rss: 0, pss: 0 });
      rows.set(role, { n: median(of.map((o) => o.n)), rss: median(of.map((o) => o.rss)), pss: median(of.map((o) => o.pss)) });
    }
    const order = ['launcher', 'temporal', 'catalog', 'api', 'server-worker', 'agent', 'other'];
    console.log(`Embedded stack at rest (backstop up, sample done), memory per role, median of ${SAMPLES} readings`);
    console.log('| role | processes | RSS MB | PSS MB |');
    console.log('|---|---|---|---|');
    let rss = 0;
    let pss = 0;
    for (const role of order) {
      const r = rows.get(role);
      if (!r) continue;
      rss += r.rss;
      pss += r.pss;
      console.log(`| ${role} | ${r.n} | ${mb(r.rss)} | ${mb(r.pss)} |`);
    }
    console.log(`| whole stack | ${[...rows.values()].reduce((s, r) => s + r.n, 0)} | ${mb(rss)} | ${mb(pss)} |`);
    const agent = rows.get('agent')?.rss ?? 0;
    console.log('');
    console.log(`agent RSS ${mb(agent)} MB (target <= ${AGENT_TARGET_MB}): ${verdict(agent / 1024 <= AGENT_TARGET_MB)}`);
    console.log(`whole stack PSS ${mb(pss)} MB (target <= ${STACK_TARGET_MB}): ${verdict(pss / 1024 <= STACK_TARGET_MB)}`);
  } finally {
    up.proc.kill('SIGINT');
    await Promise.race([up.exited, new Promise((r) => setTimeout(r, 60_000))]);
    if (up.proc.exitCode === null) up.proc.kill('SIGKILL');
    if (keepRequested()) log(`kept ${dataDir}`);
    else if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
