// Benchmark: many jobs on many agents at once (issue 4). BENCH_JOBS jobs (default 100),
// spread over BENCH_AGENTS agent workers (default 20, one repository each), are all
// triggered at the same moment through the API, while readers hammer GET /v1/runs and
// GET /v1/jobs. Prints:
//   - completion time: first start request sent -> last run finished;
//   - run latency p50/p95: each run's start request -> its workflow result at the client;
//   - API p50/p99 of GET /v1/runs and GET /v1/jobs under that read load, during the burst.
//
// The stack is the real one (test/support/stack.ts: Debian PostgreSQL, Temporal dev server,
// API and server worker as separate processes); the agents run as Workers of one extra
// process (bench/scale/agents.ts), each on its own agent.<name> queue with the activities
// of workers/agent/agent-worker.ts, BENCH_AGENT_CONCURRENCY (default 2) activities at a time each.
// Each job backs up its own small dataset (BENCH_FILES_PER_JOB files of BENCH_FILE_KB,
// default 40 x 64 KiB = 2.5 MiB).
//
// Environment: BENCH_JOBS, BENCH_AGENTS, BENCH_READERS (concurrent readers, default 4),
// BENCH_FILES_PER_JOB, BENCH_FILE_KB, BENCH_AGENT_CONCURRENCY, BENCH_KEEP=1 keeps the data
// and logs. Exits non-zero only on errors (a run that does not succeed is one); a missed
// target prints MISS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPostgres, type Postgres } from '../../test/support/postgres';
import { startStack, type Stack } from '../../test/support/stack';
import { envInt, log, runBench, tearDown } from '../support/lifecycle';
import { timelineOf, type Timeline } from '../support/timeline';
import type { BackupWorkflowResult } from '../../contract/workflows';

const ROOT = resolve(__dirname, '..', '..');
const RESTIC = join(ROOT, '.tools', 'bin', 'restic');
const PASSWORD = 'scale-bench-password';

const TARGETS = {
  /** Every run of the burst finished within this long of the first request. */
  completionMs: 10 * 60_000,
  /** 95% of runs finished within this long of their own request. */
  runP95Ms: 5 * 60_000,
  /** The API stays responsive for reads while the burst runs. */
  apiP99Ms: 1_000,
};


/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const ms = (v: number) => `${Math.round(v).toLocaleString('en-US')} ms`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function writeJobData(dir: string, files: number, fileBytes: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}.bin`), randomBytes(fileBytes));
}

/** Readers that GET one path in a loop until stopped, recording each latency. */
function readLoad(stack: Stack, readers: number): { stop(): Promise<Record<string, number[]>> } {
  const samples: Record<string, number[]> = { 'GET /v1/runs': [], 'GET /v1/jobs': [] };
  let running = true;
  const loops = Array.from({ length: readers }, async (_, i) => {
    const paths = i % 2 === 0 ? ['/v1/runs', '/v1/jobs'] : ['/v1/jobs', '/v1/runs'];
    for (let n = 0; running; n++) {
      const path = paths[n % 2]!;
      const t0 = performance.now();
      await stack.api.request('GET', path);
      samples[`GET ${path}`]!.push(performance.now() - t0);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

async function startAgents(stack: Stack, work: string, names: string[]): Promise<ChildProcess> {
  const agents: Array<{ name: string; token: string }> = [];
  for (const name of names) {
    const token = await stack.catalog.identity.createToken({ name: `bench agent ${name}`, scope: 'agent', agentName: name });
    const res = await fetch(`${stack.api.baseUrl}/v1/agents/${name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: name, version: 'bench' }),
    });
    if (!res.ok) throw new Error(`registering agent ${name}: ${res.status} ${await res.text()}`);
    agents.push({ name, token });
  }
  const logFile = createWriteStream(join(stack.dir, 'logs', 'bench-agents.log'));
  const proc = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'agents.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      BACKSTOP_TEMPORAL_ADDRESS: stack.temporalAddress,
      BACKSTOP_API_URL: stack.api.baseUrl,
      BACKSTOP_DATA_DIR: join(work, 'agents-data'),
      BACKSTOP_RESTIC: RESTIC,
      BACKSTOP_LOG_LEVEL: 'warn',
      BENCH_AGENTS_JSON: JSON.stringify(agents),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.pipe(logFile);
  await new Promise<void>((resolveUp, reject) => {
    proc.stderr!.on('data', (chunk: Buffer) => {
      logFile.write(chunk);
      if (chunk.toString().includes('agent workers running')) resolveUp();
    });
    proc.once('exit', (code) => reject(new Error(`agent launcher exited with ${code}; see ${stack.dir}/logs/bench-agents.log`)));
  });
  return proc;
}

interface HistoryFigures {
  /** Activities that needed more than one attempt, as `type xN in workflow`. */
  retried: string[];
  /** Per activity type: waits in the queue (scheduled -> started) and runs (started -> completed), ms. */
  steps: Map<string, { queued: number[]; ran: number[] }>;
  /** One timeline per run (bench/support/timeline.ts). */
  runs: Timeline[];
}

/**
 * Where the runs spent their time, from the workflow histories. A started event carries the
 * attempt that ran: under this load Temporal now and then loses an activity task on its way
 * to a worker (temporalio/temporal#11733), and the step's heartbeat timeout retries it.
 */
async function historyFigures(stack: Stack, workflowIds: string[]): Promise<HistoryFigures> {
  const out: HistoryFigures = { retried: [], steps: new Map(), runs: [] };
  for (const id of workflowIds) {
    const timeline = timelineOf((await stack.temporal.workflow.getHandle(id).fetchHistory()).events ?? []);
    out.runs.push(timeline);
    for (const a of timeline.activities) {
      if (a.attempt > 1) out.retried.push(`${a.name} x${a.attempt} in ${id}`);
      const step = out.steps.get(a.name) ?? { queued: [], ran: [] };
      step.queued.push(a.queueMs);
      step.ran.push(a.runMs);
      out.steps.set(a.name, step);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const jobs = envInt('BENCH_JOBS', 100, 1);
  const agentCount = Math.min(envInt('BENCH_AGENTS', 20, 1), jobs);
  const readers = envInt('BENCH_READERS', 4, 0);
  const filesPerJob = envInt('BENCH_FILES_PER_JOB', 40, 1);
  const fileKb = envInt('BENCH_FILE_KB', 64, 1);

  const work = mkdtempSync(join(tmpdir(), 'backstop-scale-'));
  let pg: Postgres | undefined;
  let stack: Stack | undefined;
  let agentsProc: ChildProcess | undefined;
  try {
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: RESTIC } });
    log(`stack up (logs in ${stack.dir}/logs)`);
    const names = Array.from({ length: agentCount }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
    agentsProc = await startAgents(stack, work, names);
    log(`${agentCount} agent workers up in one process`);

    // One repository per agent; each agent's jobs share it, as one machine's jobs would.
    const repos = [];
    for (const name of names) repos.push(await stack.api.createRepository({ name, url: join(work, 'repos', name), password: PASSWORD }));
    const jobIds: number[] = [];
    for (let i = 0; i < jobs; i++) {
      const a = i % agentCount;
      const dir = join(work, 'data', `job-${i}`);
      writeJobData(dir, filesPerJob, fileKb * 1024);
      jobIds.push((await stack.api.createJob({ name: `scale-${i}`, agent: names[a]!, repositoryId: repos[a]!.id, paths: [dir] })).id);
    }
    log(`${jobs} jobs of ${filesPerJob} x ${fileKb} KiB created`);

    // Warm-up: one unmeasured run builds the server worker's workflow sandbox.
    const warm = await stack.api.runJob(jobIds[0]!);
    await stack.temporal.workflow.getHandle(warm.workflowId).result();
    await new Promise((r) => setTimeout(r, 1_100)); // a new second for job 0's next workflow id

    const load = readLoad(stack, readers);
    const t0 = performance.now();
    const results = await Promise.all(
      jobIds.map(async (id) => {
        const sent = performance.now();
        const { workflowId } = await stack!.api.runJob(id);
        const accepted = performance.now() - sent;
        const r = (await stack!.temporal.workflow.getHandle(workflowId).result()) as BackupWorkflowResult;
        return { id, workflowId, accepted, status: r.status, reason: r.failureReason, latency: performance.now() - sent, finishedAt: performance.now() };
      }),
    );
    const completion = Math.max(...results.map((r) => r.finishedAt)) - t0;
    const samples = await load.stop();

    const bad = results.filter((r) => r.status !== 'succeeded');
    if (bad.length > 0) throw new Error(`${bad.length} runs did not succeed, e.g. job ${bad[0]!.id}: ${bad[0]!.status} ${bad[0]!.reason ?? ''}`);
    const latencies = results.map((r) => r.latency);
    const figures = await historyFigures(stack, results.map((r) => r.workflowId));
    const lines = [
      `scale: ${jobs} jobs on ${agentCount} agent workers (one process, ${process.env.BENCH_AGENT_CONCURRENCY ?? 2} activities each), ${filesPerJob} x ${fileKb} KiB per job, ${readers} concurrent readers`,
      `  completion (first request -> last run finished): ${ms(completion)}   target <= ${ms(TARGETS.completionMs)}  ${verdict(completion <= TARGETS.completionMs)}`,
      `  run latency (request -> finished): p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, max ${ms(Math.max(...latencies))}   p95 target <= ${ms(TARGETS.runP95Ms)}  ${verdict(percentile(latencies, 95) <= TARGETS.runP95Ms)}`,
    ];
    lines.push(`  activity attempts after the first: ${figures.retried.length}${figures.retried.length ? ` (${figures.retried.join(', ')})` : ''}`);
    const med = (values: number[]) => ms(percentile(values, 50));
    lines.push(
      `  median run: API accepts the request ${med(results.map((r) => r.accepted))}; workflow start -> close ${med(figures.runs.map((r) => r.workflowMs))}, of it workflow tasks queued ${med(figures.runs.map((r) => r.workflowTaskQueueMs))} and running ${med(figures.runs.map((r) => r.workflowTaskRunMs))}`,
    );
    lines.push('  where a run waits (median / p95 per step, from the histories: queued = scheduled -> started, ran = started -> completed):');
    for (const [type, { queued, ran }] of figures.steps) {
      lines.push(`    ${type.padEnd(22)} queued ${ms(percentile(queued, 50))} / ${ms(percentile(queued, 95))}   ran ${ms(percentile(ran, 50))} / ${ms(percentile(ran, 95))}`);
    }
    for (const [what, values] of Object.entries(samples)) {
      if (values.length === 0) continue;
      const p99 = percentile(values, 99);
      lines.push(`  ${what} under load: ${values.length} requests, p50 ${ms(percentile(values, 50))}, p99 ${ms(p99)}   p99 target <= ${ms(TARGETS.apiP99Ms)}  ${verdict(p99 <= TARGETS.apiP99Ms)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (agentsProc && agentsProc.exitCode === null) {
      const exited = new Promise((r) => agentsProc!.once('exit', r));
      agentsProc.kill('SIGTERM');
      const t = setTimeout(() => agentsProc!.kill('SIGKILL'), 25_000);
      await exited;
      clearTimeout(t);
    }
    await tearDown({ stack, pg, work });
  }
}

runBench(main);
