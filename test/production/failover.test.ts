// The production topology under failure: the Temporal server built from the Go module proxy
// on PostgreSQL with mTLS, two APIs behind a round-robin balancer, two server workers, three
// enrolled agents — all from compiled JavaScript, started as deploy/production-services.ts
// says. Runs are held in flight at a restic gate (no guessing how long a backup takes) while
// a test kill -9s a server worker or an API, or restarts Temporal or the catalog database.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startTopology, type Topology } from './support/topology';
import { ResticGate } from '../support/restic-gate';
import { writeSampleTree } from '../../workers/embedded/sample';
import { snapshotsTagged, locks } from '../support/restic';
import { runTag } from '../../contract/names';
import { waitFor } from '../support/wait';
import type { ApiJob, ApiRun } from '../../core/api-client';

jest.setTimeout(600_000);

const PASSWORD = 'production suite repository password';
let t: Topology;
let gate: ResticGate;
const jobs: ApiJob[] = [];
const repos = new Map<number, string>();

beforeAll(async () => {
  const gateDir = join(tmpdir(), `backstop-prod-gate-${process.pid}`);
  gate = new ResticGate(gateDir, { holdEvery: 'held-by-gate' });
  t = await startTopology({
    tuning: {
      // A step whose worker died comes back after this, not after the default 30 s.
      api: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '10000' },
      'server-worker': { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '10000' },
      agent: { BACKSTOP_RESTIC: gate.binary },
    },
  });
  for (const agent of t.agentNames) {
    // The directory's name puts the gate's marker on restic's command line: these backups wait at the gate.
    const source = join(t.agentRoot(agent), 'held-by-gate');
    writeSampleTree(source, 30);
    const repoPath = join(t.dir, 'repos', agent);
    mkdirSync(join(t.dir, 'repos'), { recursive: true });
    const repo = await t.api.createRepository({ name: `repo-${agent}`, url: repoPath, password: PASSWORD });
    repos.set(repo.id, repoPath);
    jobs.push(await t.api.createJob({ name: `job-${agent}`, agent, repositoryId: repo.id, paths: [source] }));
  }
});

afterAll(async () => {
  gate?.release();
  await t?.stop();
});

/** Starts one backup per job, waits until every restic is held at the gate. */
async function startHeld(): Promise<string[]> {
  gate.reset();
  const ids = [];
  for (const job of jobs) ids.push((await t.api.runJob(job.id)).runId);
  await waitFor(`${jobs.length} backups held at the gate`, async () => gate.held() >= jobs.length, 120_000);
  return ids;
}

async function expectOneSnapshotEach(runs: ApiRun[]): Promise<void> {
  for (const run of runs) {
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
    const repoPath = repos.get(jobs.find((j) => j.id === run.jobId)!.repositoryId)!;
    expect(await snapshotsTagged(repoPath, PASSWORD, runTag(run.workflowId))).toHaveLength(1);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
  }
}

const finish = (ids: string[]) => Promise.all(ids.map((id) => t.api.waitForRun(id, { timeoutMs: 300_000 })));

it('backs up every agent through the balancer, enrolled over mTLS, on the Temporal server with TLS', async () => {
  const agents = await t.api.listAgents();
  for (const name of t.agentNames) expect(agents.find((a) => a.name === name)).toMatchObject({ status: 'reachable' });
  const ids = await startHeld();
  gate.release();
  await expectOneSnapshotEach(await finish(ids));
  // Both API processes took connections.
  expect([...t.httpBalancer.served.values()].every((n) => n > 0)).toBe(true);
});

/** The identity (`pid@host`) of the worker that completed a workflow's last workflow task. */
async function lastWorkflowWorker(workflowId: string): Promise<string> {
  const history = await t.temporalClient.workflow.getHandle(workflowId).fetchHistory();
  const done = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes);
  return done.at(-1)!.workflowTaskCompletedEventAttributes!.identity!;
}

it('finishes every run on the other server worker when the one running them is killed -9 mid-run', async () => {
  const ids = await startHeld();
  const workflowIds = await Promise.all(ids.map(async (id) => (await t.api.getRun(id)).workflowId));
  // Kill the worker that ran most of them (Temporal keeps a workflow on the worker that last ran it).
  const workers = ['server-worker-1', 'server-worker-2'].map((n) => t.member(n));
  const pidOf = (identity: string) => Number(identity.split('@')[0]);
  const before = await Promise.all(workflowIds.map(lastWorkflowWorker));
  const count = (m: (typeof workers)[number]) => before.filter((i) => pidOf(i) === m.pid()).length;
  const victim = count(workers[0]!) >= count(workers[1]!) ? workers[0]! : workers[1]!;
  const survivor = victim === workers[0] ? workers[1]! : workers[0]!;
  expect(count(victim)).toBeGreaterThan(0);
  await victim.kill9();
  gate.release();
  await expectOneSnapshotEach(await finish(ids));
  // Those the victim had were finished by the survivor.
  for (const [i, wf] of workflowIds.entries()) {
    if (pidOf(before[i]!) === victim.pid()) expect(pidOf(await lastWorkflowWorker(wf))).toBe(survivor.pid());
  }
  victim.start();
});

it('goes on through the other API when one is killed -9: accepted runs finish, idempotency keys hold across both', async () => {
  gate.reset();
  const keys = jobs.map((j) => `failover-${j.id}-${Date.now()}`);
  // Accepted by api-1…
  const accepted = [];
  for (const [i, job] of jobs.entries()) accepted.push(await t.apis[0]!.runJob(job.id, { idempotencyKey: keys[i] }));
  await waitFor(`${jobs.length} backups held at the gate`, async () => gate.held() >= jobs.length, 120_000);
  await t.member('api-1').kill9();
  // …the same keys through api-2 and through the balancer answer the same runs, start nothing new.
  for (const [i, job] of jobs.entries()) {
    expect((await t.apis[1]!.runJob(job.id, { idempotencyKey: keys[i] })).runId).toBe(accepted[i]!.runId);
    expect((await t.api.runJob(job.id, { idempotencyKey: keys[i] })).runId).toBe(accepted[i]!.runId);
  }
  // Reads and writes go on through the balancer, which now reaches only api-2.
  for (let i = 0; i < 6; i++) expect((await t.api.listJobs()).length).toBe(jobs.length);
  gate.release();
  const runs = await finish(accepted.map((a) => a.runId));
  await expectOneSnapshotEach(runs);
  for (const job of jobs) {
    const { rows } = await t.catalog.pool.query('SELECT count(*)::int AS n FROM runs WHERE job_id = $1 AND id = ANY($2::uuid[])', [job.id, accepted.map((a) => a.runId)]);
    expect(rows[0].n).toBe(1);
  }
  t.member('api-1').start();
  await t.apis[0]!.waitUntilHealthy(120_000);
});

it('finishes every run when the Temporal server is killed -9 and started again mid-run', async () => {
  const ids = await startHeld();
  await t.temporal.kill9();
  await t.temporal.start();
  gate.release();
  await expectOneSnapshotEach(await finish(ids));
});

it('finishes every run, recording each once, when the catalog PostgreSQL is killed -9 and started again mid-run', async () => {
  const ids = await startHeld();
  t.catalogDb.kill9();
  t.catalogDb.start();
  gate.release();
  const runs = await finish(ids);
  await expectOneSnapshotEach(runs);
  const { rows } = await t.catalog.pool.query('SELECT run_id, count(*)::int AS n FROM snapshots WHERE run_id = ANY($1::uuid[]) GROUP BY run_id', [ids]);
  expect(rows.map((r: { n: number }) => r.n)).toEqual(ids.map(() => 1));
  // The APIs and workers reconnected: a new run goes through end to end.
  gate.release();
  const after = await t.api.runJob(jobs[0]!.id);
  expect(await t.api.waitForRun(after.runId, { timeoutMs: 300_000 })).toMatchObject({ status: 'succeeded' });
});
