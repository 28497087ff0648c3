// API fuzzing on the production topology: schemathesis against the two API processes
// behind the round-robin balancer, on the Temporal server with mTLS and the catalog on
// PostgreSQL. It passes when schemathesis finds nothing (no 5xx, no answer off the spec),
// neither API logged an unhandled error or a contract violation, both APIs served, and the
// catalog holds nothing half-written: every run has its workflow in Temporal, every
// schedule row its Temporal Schedule (and no Backstop schedule exists only in Temporal),
// every idempotency key its run.
//
// Fenced like the embedded stack's fuzzing: repositories and restore targets only under a
// directory of the test's own.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTopology, type Topology } from './support/topology';
import { apiLogErrors, FUZZ_SEED, runSchemathesis, schemathesisInstalled } from '../support/schemathesis';
import { writeSampleTree } from '../../workers/embedded/sample';

jest.setTimeout(900_000);

const MAX_SECONDS = Number(process.env.BACKSTOP_FUZZ_SECONDS || 180);
let t: Topology;
let fence: string;

beforeAll(async () => {
  fence = mkdtempSync(join(tmpdir(), 'backstop-prod-fuzz-'));
  mkdirSync(join(fence, 'restores'));
  t = await startTopology({
    tuning: {
      api: { BACKSTOP_VALIDATE_RESPONSES: '1', BACKSTOP_REPOSITORY_ROOTS: fence },
      agent: { BACKSTOP_RESTORE_ROOTS: join(fence, 'restores') },
    },
  });
});

afterAll(async () => {
  await t?.stop();
  rmSync(fence, { recursive: true, force: true });
});

it('answers every generated request through either API within its contract, and leaves the catalog whole', async () => {
  expect(schemathesisInstalled()).toBe(true);
  // Something for the fuzzer to reach into: a repository, a job and a snapshot.
  const source = join(t.agentRoot('agent-1'), 'data');
  writeSampleTree(source, 10);
  const repo = await t.api.createRepository({ name: 'fuzz-seed', url: join(fence, 'repo'), password: 'fuzz seed repository password' });
  const job = await t.api.createJob({ name: 'fuzz-seed', agent: 'agent-1', repositoryId: repo.id, paths: [source] });
  expect(await t.api.waitForRun((await t.api.runJob(job.id)).runId, { timeoutMs: 300_000 })).toMatchObject({ status: 'succeeded' });

  const served = new Map(t.httpBalancer.served);
  const { code, summary, casesGenerated } = await runSchemathesis(`http://127.0.0.1:${t.httpBalancer.port}`, t.adminToken, { maxSeconds: MAX_SECONDS });
  if (code !== 0) throw new Error(`schemathesis (seed ${FUZZ_SEED}) exited ${code}:\n${summary}`);
  expect(casesGenerated).toBeGreaterThan(0);
  // Both API processes took the fuzzer's connections.
  for (const [port, n] of t.httpBalancer.served) expect(n).toBeGreaterThan(served.get(port) ?? 0);
  for (const name of ['api-1', 'api-2']) expect(apiLogErrors(join(t.dir, 'logs', `${name}.log`))).toEqual([]);

  // Nothing half-written: each run's workflow exists in Temporal, and a run the catalog
  // shows unfinished has a workflow still running to finish it (one that has closed in the
  // meantime must have recorded its end: read again).
  const { rows: runs } = await t.catalog.pool.query<{ id: string; workflow_id: string; status: string }>('SELECT id, workflow_id, status FROM runs');
  const stranded = [];
  for (const r of runs) {
    const d = await t.temporalClient.workflow.getHandle(r.workflow_id).describe();
    if (['queued', 'running'].includes(r.status) && d.status.name !== 'RUNNING') {
      const { rows } = await t.catalog.pool.query<{ status: string }>('SELECT status FROM runs WHERE id = $1', [r.id]);
      if (['queued', 'running'].includes(rows[0]!.status)) stranded.push({ ...r, workflow: d.status.name });
    }
  }
  expect(stranded).toEqual([]);
  // Each schedule row has its Temporal Schedule, and Temporal has none the catalog lost.
  const { rows: schedules } = await t.catalog.pool.query<{ id: string }>('SELECT id FROM schedules');
  const inTemporal: string[] = [];
  for await (const s of t.temporalClient.schedule.list()) inTemporal.push(s.scheduleId);
  const backstopInTemporal = inTemporal.filter((id) => schedules.some((s) => s.id === id) || /^[a-z0-9-]+-schedule\//.test(id));
  expect(backstopInTemporal.sort()).toEqual(schedules.map((s) => s.id).sort());

  // Both still serve.
  for (const api of t.apis) await api.waitUntilHealthy(60_000);
});
