// Filesystem snapshots on the real stack: a btrfs filesystem on a loop device, a job that
// freezes its paths, a file changed while restic reads, and every way a run can end
// (success, failure, cancellation, a crash of the agent) releasing its snapshot. LVM needs
// device-mapper and ZFS its kernel module: where those are missing only their command lines
// are tested (activities/shared/snapshot-commands.test.ts).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { btrfsUnavailable, makeBtrfs, subvolumes, type LoopFs } from '../support/loop-fs';
import { ResticGate } from '../support/restic-gate';

jest.setTimeout(240_000);

const unavailable = btrfsUnavailable();
if (unavailable) console.warn(`snapshot integration tests skipped: ${unavailable}`);
const describeBtrfs = unavailable ? describe.skip : describe;

let pg: Postgres;
let stack: Stack;
let work: string;
let fs: LoopFs;
let repoId: number;
let gate: ResticGate;

async function armedRun(jobId: number): Promise<string> {
  let runId = '';
  await gate.hold(async () => {
    runId = (await stack.api.runJob(jobId)).runId;
  });
  return runId;
}

const backstopSnapshots = () => subvolumes(fs.mountPoint).filter((p) => p.includes('.backstop-snapshots/'));

describeBtrfs('filesystem snapshots (btrfs on a loop device)', () => {
  let data: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'backstop-snap-'));
    gate = new ResticGate(join(work, 'gate'));
    fs = makeBtrfs(join(work, 'fs'), 512, ['data']);
    data = join(fs.mountPoint, 'data');
    mkdirSync(join(data, 'www'));
    writeFileSync(join(data, 'www', 'index.html'), 'as it was when the snapshot was taken\n');
    writeFileSync(join(data, 'www', 'app.js'), 'console.log(1);\n');
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: gate.binary } });
    repoId = (await stack.api.createRepository({ name: 'snap', url: join(work, 'repo'), password: 'snapshot test password' })).id;
  });

  afterAll(async () => {
    gate?.reset();
    await stack?.stop();
    await pg?.stop();
    fs?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reads a frozen copy, records the original paths, and releases the snapshot', async () => {
    const job = await stack.api.createJob({ name: 'btrfs-data', agent: 'local', repositoryId: repoId, paths: [data], snapshotMode: 'btrfs' });
    const runId = await armedRun(job.id);
    // The snapshot exists now; change the live files before restic reads them.
    expect(backstopSnapshots()).toEqual([`data/.backstop-snapshots/backstop-${runId}`]);
    writeFileSync(join(data, 'www', 'index.html'), 'changed after the snapshot\n');
    writeFileSync(join(data, 'www', 'late.txt'), 'written after the snapshot\n');
    gate.release();

    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'succeeded', warnings: [] });
    const [snapshot] = await stack.api.listSnapshots(job.id);
    expect(snapshot!.paths).toEqual([data]);
    const file = await stack.api.snapshotFile(run.snapshotId!, join(data, 'www', 'index.html'));
    expect(await file.text()).toBe('as it was when the snapshot was taken\n');
    const www = (await stack.api.snapshotTree(run.snapshotId!, { path: join(data, 'www') })).entries.map((e) => e.name);
    expect(www.sort()).toEqual(['app.js', 'index.html']);
    // Where the snapshots are kept is not part of the backup.
    const top = (await stack.api.snapshotTree(run.snapshotId!, { path: data })).entries.map((e) => e.name);
    expect(top).toEqual(['www']);

    expect(backstopSnapshots()).toEqual([]);
    expect(existsSync(join(data, '.backstop-snapshots'))).toBe(false);
  });

  it('auto: snapshots the btrfs path and reads a path on another filesystem live, with a warning', async () => {
    const live = join(work, 'live');
    mkdirSync(live);
    writeFileSync(join(live, 'notes.txt'), 'on the root filesystem\n');
    const job = await stack.api.createJob({ name: 'auto-mixed', agent: 'local', repositoryId: repoId, paths: [join(data, 'www'), live], snapshotMode: 'auto' });
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    expect(run.warnings).toEqual([expect.stringContaining(`no filesystem snapshot: ${live} is on `)]);
    expect(backstopSnapshots()).toEqual([]);
  });

  it('an explicit mode refuses a path on another filesystem with a clear reason', async () => {
    const job = await stack.api.createJob({ name: 'btrfs-wrong', agent: 'local', repositoryId: repoId, paths: [work], snapshotMode: 'btrfs' });
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toContain(`snapshot mode btrfs: ${work} is on `);
    expect(run.failureReason).toContain('which is not a btrfs volume');
  });

  it('a failed backup releases its snapshot', async () => {
    const job = await stack.api.createJob({ name: 'btrfs-fail', agent: 'local', repositoryId: repoId, paths: [data], snapshotMode: 'btrfs' });
    const runId = await armedRun(job.id);
    expect(backstopSnapshots()).toHaveLength(1);
    gate.fail();
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('wrong repository password') });
    expect(backstopSnapshots()).toEqual([]);
  });

  it('a cancelled backup releases its snapshot', async () => {
    const job = await stack.api.createJob({ name: 'btrfs-cancel', agent: 'local', repositoryId: repoId, paths: [data], snapshotMode: 'btrfs' });
    const runId = await armedRun(job.id);
    expect(backstopSnapshots()).toHaveLength(1);
    const run0 = await stack.api.getRun(runId);
    await stack.temporal.workflow.getHandle(run0.workflowId).cancel();
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'cancelled', cancelledBy: null });
    expect(backstopSnapshots()).toEqual([]);
  });

  it('a snapshot left by a crashed agent is released when the agent starts, once its run has ended', async () => {
    const job = await stack.api.createJob({ name: 'btrfs-orphan', agent: 'local', repositoryId: repoId, paths: [data], snapshotMode: 'btrfs' });
    const runId = await armedRun(job.id);
    expect(backstopSnapshots()).toEqual([`data/.backstop-snapshots/backstop-${runId}`]);
    await stack.kill9('agent');
    // The run ends without its cleanup: nothing but the agent's own start can release it now.
    await stack.temporal.workflow.getHandle((await stack.api.getRun(runId)).workflowId).terminate('test: simulate a run that ended while its agent was down');
    await stack.start('agent');
    // The agent says so once the release is complete (the snapshot and then its directory
    // go): waiting for the snapshot alone raced the directory's removal.
    const agentLog = join(stack.dir, 'logs', 'agent.log');
    await waitFor('the agent to report the orphaned snapshot released', async () =>
      readFileSync(agentLog, 'utf8').split('\n').some((l) => l.includes('released snapshot left by an ended run') && l.includes(runId)), 90_000, 250);
    expect(backstopSnapshots()).toEqual([]);
    expect(existsSync(join(data, '.backstop-snapshots'))).toBe(false);
  });
});
