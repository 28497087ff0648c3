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
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envInt, keepRequested, log, runBench } from '../support/lifecycle';
import { freePort } from '../../test/support/ports';
import { waitFor } from '../../test/support/wait';
import { ROOT } from '../../test/support/tools';

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

const AGENT_TARGET_MB = 100;
const SAMPLES = 3;
const STACK_TARGET_MB = 1024;

function readProcs(): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.push({ pid: Number(e), ppid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function tree(root: number): Proc[] {
  const all = readProcs();
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid));
  return found;
}

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
  const [api, temporal, ui, catalogPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  log(`starting backstop up in ${dataDir}`);
  const up = spawn(join(ROOT, 'bin', 'backstop'), ['up'], {
    env: {
      ...process.env,
      BACKSTOP_DATA_DIR: dataDir,
      BACKSTOP_API_PORT: String(api),
      BACKSTOP_TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      BACKSTOP_UI_PORT: String(ui),
      BACKSTOP_CATALOG_PORT: String(catalogPort),
      DATABASE_URL: '',
      BACKSTOP_MASTER_KEY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  up.stdout.on('data', (d: Buffer) => (out += d.toString()));
  up.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => up.once('exit', () => r()));
  try {
    await waitFor('the stack to be up with its sample restored', async () => {
      if (up.exitCode !== null) throw new Error(`up exited early:\n${out}`);
      return /Restore check: \d+ files restored byte-equal/.test(out);
    }, 600_000, 500);
    log(`up; resting ${settleMs} ms`);
    await new Promise((r) => setTimeout(r, settleMs));
    const launcher = up.pid!;
    // Three readings 5 s apart, the median per role: one reading catches a process between
    // a timer's work and the next garbage collection.
    const readings: Array<Map<string, { n: number; rss: number; pss: number }>> = [];
    for (let i = 0; i < SAMPLES; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 5_000));
      const byRole = new Map<string, { n: number; rss: number; pss: number }>();
      for (const p of tree(launcher)) {
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
    console.log(`agent RSS ${mb(agent)} MB (target <= ${AGENT_TARGET_MB}): ${agent / 1024 <= AGENT_TARGET_MB ? 'PASS' : 'MISS'}`);
    console.log(`whole stack PSS ${mb(pss)} MB (target <= ${STACK_TARGET_MB}): ${pss / 1024 <= STACK_TARGET_MB ? 'PASS' : 'MISS'}`);
  } finally {
    up.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    if (up.exitCode === null) up.kill('SIGKILL');
    if (keepRequested()) log(`kept ${dataDir}`);
    else if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
