// An upgrade without stopping runs, on the production topology (docs/runbooks/upgrade.md):
// server workers of release N (BACKSTOP_WORKER_BUILD_ID) run backups held in restic; release
// N+1, from its own directory as a new image would be, with a backup workflow changed
// incompatibly, is deployed beside it and made current with the Temporal CLI. New runs
// (started through the API and by a schedule) run N+1; the held runs finish on N; N is
// retired once Temporal counts no open run pinned to it; N+1 alone runs on. Every run ends
// `succeeded` with exactly one snapshot. And the reason for all this: a history of N does not
// replay on N+1's code, so without versioning the old runs would have stuck.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { decodeVersioningBehavior } from '@temporalio/common';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { startTopology, type Topology } from './support/topology';
import { makeRelease } from './support/release';
import { temporalCli } from './support/temporal-cli';
import { RELEASE_MEMO_KEY, RELEASE_MEMO_VALUE } from './support/upgrade-marker';
import { ResticGate } from '../support/restic-gate';
import { ROOT } from '../support/tools';
import { writeSampleTree } from '../../workers/embedded/sample';
import { snapshotsTagged, locks } from '../support/restic';
import { repositoryLockWorkflowId, runTag } from '../../contract/names';
import { NOTIFICATION_WATCH_WORKFLOW_ID } from '../../contract/notification-activities';
import { waitFor } from '../support/wait';
import type { ApiJob, ApiRun } from '../../core/api-client';

jest.setTimeout(900_000);

const PASSWORD = 'upgrade suite repository password';
const DEPLOYMENT = 'backstop';
const N = 'release-n';
const N1 = 'release-n1';
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

let t: Topology;
let gate: ResticGate;
let n1Bundle: string;
/** Per agent, on one repository: a job whose backups wait at the gate, and one whose backups go through. */
const heldJobs: ApiJob[] = [];
const freshJobs: ApiJob[] = [];
const repos = new Map<number, string>();
/** A run as started: its catalog id and its workflow. */
interface Started {
  id: string;
  workflowId: string;
}
/** The runs release N started (the replay test reads one). */
let oldRuns: Started[] = [];

beforeAll(async () => {
  gate = new ResticGate(join(tmpdir(), `backstop-upgrade-gate-${process.pid}`), { holdEvery: 'held-by-gate' });
  // Release N+1's workflow code, bundled while the topology comes up.
  const bundling = bundleWorkflowCode({ workflowsPath: require.resolve('./support/upgrade-workflows'), logger: quiet });
  // No server worker of the suite's own: release N's is started below with its build id.
  t = await startTopology({ apis: 1, serverWorkers: 0, agents: 2, tuning: { agent: { BACKSTOP_RESTIC: gate.binary } } });
  n1Bundle = (await bundling).code;
  t.addServerWorker('server-worker-n', { env: { BACKSTOP_WORKER_BUILD_ID: N } });
  // The first versioned release: nothing runs until it is made current.
  await makeCurrent(N);
  mkdirSync(join(t.dir, 'repos'));
  for (const agent of t.agentNames) {
    const repoPath = join(t.dir, 'repos', agent);
    const repo = await t.api.createRepository({ name: `repo-${agent}`, url: repoPath, password: PASSWORD });
    repos.set(repo.id, repoPath);
    // The directory's name puts the gate's marker on restic's command line: these backups wait at the gate.
    const heldSource = join(t.agentRoot(agent), 'held-by-gate');
    const freshSource = join(t.agentRoot(agent), 'fresh');
    writeSampleTree(heldSource, 20);
    writeSampleTree(freshSource, 20);
    heldJobs.push(await t.api.createJob({ name: `held-${agent}`, agent, repositoryId: repo.id, paths: [heldSource] }));
    freshJobs.push(await t.api.createJob({ name: `fresh-${agent}`, agent, repositoryId: repo.id, paths: [freshSource] }));
  }
});

afterAll(async () => {
  gate?.release();
  await t?.stop();
});

const cli = (args: string[]) => temporalCli(t.temporal, args);

async function describeDeployment() {
  const { workerDeploymentInfo } = await t.temporalClient.workflowService.describeWorkerDeployment({ namespace: 'default', deploymentName: DEPLOYMENT });
  return workerDeploymentInfo!;
}

/**
 * What the runbook does: wait until the version's workers polled (Temporal knows the version
 * then), make it current with the CLI, and wait until the routing change took effect.
 */
async function makeCurrent(buildId: string): Promise<void> {
  await waitFor(`version ${buildId} to be made current`, async () => {
    await cli(['worker', 'deployment', 'set-current-version', '--deployment-name', DEPLOYMENT, '--build-id', buildId, '--yes']);
    return true;
  }, 120_000, 500);
  await waitFor(`routing to ${buildId} in effect`, async () => {
    const d = await describeDeployment();
    return d.routingConfig?.currentDeploymentVersion?.buildId === buildId && d.routingConfigUpdateState !== temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS;
  }, 60_000, 300);
}

/** Where Temporal runs the workflow, how it moves, and the mark release N+1 leaves. */
async function placement(workflowId: string): Promise<{ buildId?: string | null; behavior?: string; release?: unknown }> {
  const d = await t.temporalClient.workflow.getHandle(workflowId).describe();
  const v = d.raw.workflowExecutionInfo?.versioningInfo;
  return { buildId: v?.deploymentVersion?.buildId, behavior: decodeVersioningBehavior(v?.behavior), release: d.memo?.[RELEASE_MEMO_KEY] };
}

/** Starts one backup per job through the API. */
async function start(jobs: ApiJob[]): Promise<Started[]> {
  const runs = [];
  for (const job of jobs) {
    const { runId, workflowId } = await t.api.runJob(job.id);
    runs.push({ id: runId, workflowId });
  }
  return runs;
}

/** A run of the job's schedule, triggered now: the schedule's action starts it, not the API. */
async function startScheduled(job: ApiJob): Promise<Started> {
  await t.api.setJobSchedule(job.id, { cron: ['0 3 1 1 *'] });
  const { workflowIdPrefix } = await t.api.triggerJobSchedule(job.id);
  // The run's catalog row is the workflow's first step: it shows the workflow runs.
  return waitFor('the scheduled run', async () => (await t.api.listRuns(job.id)).find((r) => r.workflowId.startsWith(workflowIdPrefix)), 120_000, 300);
}

const finish = (runs: Started[]): Promise<ApiRun[]> => Promise.all(runs.map((r) => t.api.waitForRun(r.id, { timeoutMs: 300_000 })));

async function expectOneSnapshotEach(runs: ApiRun[]): Promise<void> {
  for (const run of runs) {
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
    const job = [...heldJobs, ...freshJobs].find((j) => j.id === run.jobId)!;
    const repoPath = repos.get(job.repositoryId)!;
    expect(await snapshotsTagged(repoPath, PASSWORD, runTag(run.workflowId))).toHaveLength(1);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
  }
}

/** Open runs still pinned to the version: what Temporal's drainage status counts, read at once. */
async function openPinnedRuns(buildId: string): Promise<number> {
  const out = await cli(['workflow', 'count', '--query', `TemporalWorkerDeploymentVersion='${DEPLOYMENT}:${buildId}' AND TemporalWorkflowVersioningBehavior='Pinned' AND ExecutionStatus='Running'`]);
  const m = /Total: (\d+)/.exec(out);
  if (!m) throw new Error(`unexpected count output: ${out}`);
  return Number(m[1]);
}

it('deploys release N+1 while N runs, keeps each run on the release it started on, and retires N once drained', async () => {
  // Runs of release N, held in restic.
  gate.reset();
  oldRuns = await start(heldJobs);
  await waitFor(`${heldJobs.length} backups held at the gate`, async () => gate.held() >= heldJobs.length, 120_000);
  for (const r of oldRuns) expect(await placement(r.workflowId)).toEqual({ buildId: N, behavior: 'PINNED', release: undefined });

  // Release N+1: another directory (a new image), another bundle, another build id; then current.
  const release = makeRelease(join(t.dir, 'release-n1'), n1Bundle);
  t.addServerWorker('server-worker-n1', { release, env: { BACKSTOP_WORKER_BUILD_ID: N1 } });
  // Until it is current it takes nothing new, and says so (an idle worker looks hung otherwise).
  await waitFor('release N+1 to log that it is not current', async () => readFileSync(join(t.dir, 'logs', 'server-worker-n1.log'), 'utf8').includes(`build ${N1} is not current in deployment ${DEPLOYMENT} (current: build ${N})`), 120_000, 500);
  await makeCurrent(N1);

  // New runs, from the API and from a schedule, run N+1's changed backup to the end while
  // N's runs still wait in restic.
  const newRuns = [...(await start(freshJobs)), await startScheduled(freshJobs[0]!)];
  const newDone = await finish(newRuns);
  for (const r of newRuns) expect(await placement(r.workflowId)).toEqual({ buildId: N1, behavior: 'PINNED', release: RELEASE_MEMO_VALUE });
  for (const r of oldRuns) expect((await t.temporalClient.workflow.getHandle(r.workflowId).describe()).status.name).toBe('RUNNING');
  // The repository locks, shared by runs of both releases, moved to N+1 (AUTO_UPGRADE).
  for (const repositoryId of repos.keys()) expect(await placement(repositoryLockWorkflowId(repositoryId))).toMatchObject({ buildId: N1, behavior: 'AUTO_UPGRADE' });

  // N's runs finish on N: every workflow task of theirs was completed by N, none failed.
  gate.release();
  const oldDone = await finish(oldRuns);
  for (const r of oldRuns) {
    const { events } = await t.temporalClient.workflow.getHandle(r.workflowId).fetchHistory();
    const completedBy = new Set(events!.filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => e.workflowTaskCompletedEventAttributes!.deploymentVersion?.buildId));
    expect([...completedBy]).toEqual([N]);
    expect(events!.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
  }

  // Retire N: no open run is pinned to it any more, and Temporal no longer routes to it.
  await waitFor(`no open run pinned to ${N}`, async () => (await openPinnedRuns(N)) === 0, 120_000, 500);
  const { workerDeploymentVersionInfo: retired } = await t.temporalClient.workflowService.describeWorkerDeploymentVersion({
    namespace: 'default',
    deploymentVersion: { deploymentName: DEPLOYMENT, buildId: N },
  });
  const { WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING, WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED } = temporal.api.enums.v1.WorkerDeploymentVersionStatus;
  expect([WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING, WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED]).toContain(retired?.status);
  await t.member('server-worker-n').stop();

  // N+1 alone: held and fresh backups (the gate is open now) run and finish.
  const laterRuns = await start([...heldJobs, ...freshJobs]);
  const laterDone = await finish(laterRuns);
  for (const r of laterRuns) expect(await placement(r.workflowId)).toMatchObject({ buildId: N1, release: RELEASE_MEMO_VALUE });
  // The health watch, which never ends, moves too: its next look after N went runs on N+1.
  await waitFor('the health watch on N+1', async () => (await placement(NOTIFICATION_WATCH_WORKFLOW_ID)).buildId === N1, 180_000, 1_000);
  expect(await placement(NOTIFICATION_WATCH_WORKFLOW_ID)).toMatchObject({ behavior: 'AUTO_UPGRADE' });

  await expectOneSnapshotEach([...oldDone, ...newDone, ...laterDone]);
});

it('needed versioning: a history release N wrote does not replay on N+1, and does on N', async () => {
  const history = await t.temporalClient.workflow.getHandle(oldRuns[0]!.workflowId).fetchHistory();
  await expect(Worker.runReplayHistory({ workflowBundle: { code: n1Bundle }, replayName: 'release-n1' }, history)).rejects.toBeInstanceOf(DeterminismViolationError);
  await Worker.runReplayHistory({ workflowBundle: { codePath: join(ROOT, 'dist', 'workflow-bundle-versioned.js') }, replayName: 'release-n' }, history);
});
