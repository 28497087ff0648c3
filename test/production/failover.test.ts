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

it('finishes every run on the other server worker when one is killed -9 mid-run', async () => {
  const ids = await startHeld();
  await t.member('server-worker-1').kill9();
  gate.release();
  await expectOneSnapshotEach(await finish(ids));
  t.member('server-worker-1').start();
});
