// Guest jobs through the whole stack (issue 19): the API, the guest backup workflow on the
// server worker, the agent's guest activities on a real qemu-storage-daemon, restic. A guest
// job created through the API runs full, then incremental (bitmap reused, only the written
// extents read), and every snapshot restores through the API byte for byte to the disk as it
// was when its run froze it: a disk into an image file, the whole guest into a directory, and
// a disk over a block device once an operator approved it.
import { createHash, randomBytes } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { snapshotsTagged, locks } from '../support/restic';
import { problemOf } from '../support/problem';
import { waitFor } from '../support/wait';
import { ResticGate } from '../support/restic-gate';
import { toolPath } from '../support/tools';
import { removeWorkDir } from '../support/work-dir';
import { runTag } from '../../contract/names';
import { QmpClient } from '../../activities/agent/guest/qmp-client';
import type { ApiRun } from '../../core/api-client';
import type { GuestRunDetails } from '../../contract/guest-activities';

jest.setTimeout(300_000);

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const SEGMENT = MiB;
const PASSWORD = 'guest jobs password';

let pg: Postgres;
let stack: Stack;
let work: string;
let disk: GuestDisk;
let repoUrl: string;
let repositoryId: number;
let restores: string;
let gate: ResticGate;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const detailsOf = (run: ApiRun) => (run.details as unknown as GuestRunDetails).guest;

/**
 * A run's workflow history as the Temporal CLI exports it: the password must not be in it.
 * `RECORD_HISTORIES=1` keeps it for the replay test (test/workflow/replay.test.ts).
 */
async function checkHistory(workflowId: string, recordAs: string): Promise<void> {
  const { stdout: json } = await promisify(execFile)(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', stack.temporalAddress], { maxBuffer: 64 * 1024 * 1024 });
  expect(json).not.toContain(PASSWORD);
  expect(json).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  if (process.env.RECORD_HISTORIES === '1') writeFileSync(join(__dirname, '..', 'workflow', 'histories', recordAs), json);
}

/** What QEMU holds for the guest: the disk's bitmaps (recording or not), block nodes and exports (a short QMP session: QEMU serves one client at a time). */
async function qemuState(): Promise<{ bitmaps: Array<{ name: string; recording: boolean }>; nodes: string[]; exports: string[] }> {
  const qmp = await QmpClient.connect(disk.qmpSocket);
  try {
    const nodes = await qmp.execute<Array<{ 'node-name': string; 'dirty-bitmaps'?: Array<{ name: string; recording: boolean }> }>>('query-named-block-nodes', { flat: true });
    const exports = await qmp.execute<Array<{ id: string }>>('query-block-exports');
    const bitmaps = (nodes.find((n) => n['node-name'] === disk.node)?.['dirty-bitmaps'] ?? []).map((b) => ({ name: b.name, recording: b.recording }));
    return { bitmaps, nodes: nodes.map((n) => n['node-name']).sort(), exports: exports.map((e) => e.id).filter((id) => id.startsWith('backstop-')) };
  } finally {
    qmp.close();
  }
}

const bitmaps = async () => (await qemuState()).bitmaps.map((b) => b.name).sort();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-guest-jobs-'));
  // Throttled reads (unlimited until a test slows them) to kill the agent in the middle of reading.
  disk = await startGuestDisk(work, SIZE, { throttle: true });
  writeFileSync(join(work, '100.conf'), 'memory: 2048\nscsi0: local:100/vm-100-disk-0.qcow2,size=32M\n');
  restores = join(work, 'restores');
  mkdirSync(restores);
  pg = await startPostgres();
  // restic behind a gate, to act (kill the agent, cancel) while a run stores; a short
  // heartbeat timeout so a killed agent's attempt is retried within seconds.
  gate = new ResticGate(join(work, 'gate'));
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTORE_ROOTS: restores, BACKSTOP_RESTIC: gate.binary, BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '5000' } });
  repoUrl = join(work, 'repo');
  repositoryId = (await stack.api.createRepository({ name: 'guests', url: repoUrl, password: PASSWORD })).id;
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  await disk?.stop();
  // Never through the guest disk's FUSE export, should the daemon have left it mounted.
  removeWorkDir(work);
});

const guest = () => ({ qmpSocket: disk.qmpSocket, disks: [{ name: 'scsi0', node: disk.node }], configFiles: [join(work, '100.conf')], segmentBytes: SEGMENT });

describe('creating a guest job', () => {
  it.each([
    ['paths on a guest job', () => ({ kind: 'guest', guest: guest(), paths: ['/srv'] }), '/paths'],
    ['a guest job without its guest', () => ({ kind: 'guest' }), '/guest'],
    ['a segment size that is not a power of two', () => ({ kind: 'guest', guest: { ...guest(), segmentBytes: 3 * 65536 } }), '/guest/segmentBytes'],
  ])('refuses %s with a 400 naming the field', async (_what, body, path) => {
    const err = await problemOf(stack.api.createJob({ name: `bad-${path.replace(/\W/g, '')}`, agent: 'local', repositoryId, ...body() } as never));
    expect(err.status).toBe(400);
    expect(JSON.stringify(err.problem)).toContain(path);
  });

  it('refuses a schema violation (an unknown disk field) with the field named', async () => {
    const err = await problemOf(stack.api.createJob({ name: 'bad-disk', agent: 'local', repositoryId, kind: 'guest', guest: { ...guest(), disks: [{ name: 'scsi0', node: 'disk0', bus: 'scsi' }] } } as never));
    expect(err.status).toBe(400);
    expect(JSON.stringify(err.problem)).toMatch(/guest\/disks\/0/);
  });
});

describe('a guest job QEMU cannot serve', () => {
  it('fails its run at once, saying why, when the job names a node the guest does not have or the guest is not running', async () => {
    const cases = [
      { name: 'vm-bad-node', guest: { ...guest(), disks: [{ name: 'scsi0', node: 'drive-scsi9' }] }, reason: /QEMU has no block node "drive-scsi9"/ },
      { name: 'vm-stopped', guest: { ...guest(), qmpSocket: join(work, 'gone.qmp') }, reason: /no QMP socket at .*gone\.qmp on this host: is the guest running\?/ },
      { name: 'vm-no-conf', guest: { ...guest(), configFiles: [join(work, 'missing.conf')] }, reason: /guest configuration file not found on the agent: .*missing\.conf/ },
    ];
    const before = await bitmaps();
    for (const c of cases) {
      const job = await stack.api.createJob({ name: c.name, agent: 'local', repositoryId, kind: 'guest', guest: c.guest });
      const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 60_000 });
      expect(run).toMatchObject({ status: 'failed', snapshotId: null, warnings: [] });
      expect(run.failureReason).toMatch(c.reason);
    }
    expect(await bitmaps()).toEqual(before);
  });
});

describe('a guest job through the API', () => {
  let jobId: number;
  const kept: Array<{ snapshotId: string; image: string }> = [];

  it('is created with its kind and guest, and no paths', async () => {
    const job = await stack.api.createJob({ name: 'vm-100', agent: 'local', repositoryId, kind: 'guest', guest: guest() });
    expect(job).toMatchObject({ kind: 'guest', guest: guest(), paths: [] });
    jobId = job.id;
  });

  it("is edited as any job (name, post hook), never given a files job's fields", async () => {
    expect(await stack.api.updateJob(jobId, { name: 'vm-100-renamed' })).toMatchObject({ name: 'vm-100-renamed', kind: 'guest', guest: guest() });
    const err = await problemOf(stack.api.updateJob(jobId, { paths: ['/srv'] }));
    expect(err.status).toBe(400);
    expect(JSON.stringify(err.problem)).toContain('/paths');
  });

  it('runs full: one snapshot, bitmap started (mode new) and committed once recorded', async () => {
    for (const at of [0, 5, 17, 30]) disk.write(at * MiB + 4096, randomBytes(MiB + 777));
    const frozen = disk.read(0, SIZE);
    const accepted = await stack.api.runJob(jobId);
    expect(accepted.workflowId).toMatch(new RegExp(`^backup/${jobId}/`));
    const run = await stack.api.waitForRun(accepted.runId, { timeoutMs: 180_000 });
    expect(run).toMatchObject({ kind: 'backup', status: 'succeeded', failureReason: null, warnings: [] });
    const d = detailsOf(run);
    expect(d.disks).toEqual([{ name: 'scsi0', size: SIZE, mode: 'new', reason: null, bytesRead: d.bytesRead }]);
    expect(d.parentSnapshotId).toBeNull();
    expect(d.bytesRead).toBeGreaterThanOrEqual(4 * MiB);
    expect(d.bytesRead).toBeLessThan(12 * MiB);
    expect((await snapshotsTagged(repoUrl, PASSWORD, runTag(accepted.workflowId))).map((s) => s.id)).toEqual([run.snapshotId]);
    expect((await stack.api.listSnapshots(jobId)).map((s) => s.id)).toEqual([run.snapshotId]);
    expect(await bitmaps()).toEqual([`backstop-${jobId}-${run.id}`]);
    kept.push({ snapshotId: run.snapshotId!, image: sha(frozen) });
  });

  it('runs incremental: the bitmap reused, only the written extents read', async () => {
    disk.write(9 * MiB + 100, randomBytes(5000)); // one 64 KiB cluster of the bitmap
    disk.write(20 * MiB, randomBytes(2 * 64 * 1024)); // two
    const frozen = disk.read(0, SIZE);
    const accepted = await stack.api.runJob(jobId);
    const run = await stack.api.waitForRun(accepted.runId, { timeoutMs: 180_000 });
    expect(run).toMatchObject({ status: 'succeeded', warnings: [] });
    const d = detailsOf(run);
    expect(d.disks).toEqual([{ name: 'scsi0', size: SIZE, mode: 'reuse', reason: null, bytesRead: 3 * 64 * 1024 }]);
    expect(d.parentSnapshotId).toBe(kept[0]!.snapshotId);
    // 32 segments, 2 written; the configuration file unchanged too.
    expect(run.stats?.filesUnmodified).toBe(32 - 2 + 1);
    expect(await bitmaps()).toEqual([`backstop-${jobId}-${run.id}`]);
    expect(await locks(repoUrl, PASSWORD)).toEqual([]);
    await checkHistory(run.workflowId, 'guest-backup-succeeded.json');
    kept.push({ snapshotId: run.snapshotId!, image: sha(frozen) });
  });

  async function restoreRun(snapshotId: string, body: Parameters<Stack['api']['restoreGuestSnapshot']>[1]): Promise<ApiRun> {
    const { runId } = await stack.api.restoreGuestSnapshot(snapshotId, body);
    return stack.api.waitForRun(runId, { timeoutMs: 120_000 });
  }

  it('restores the disk of each snapshot through the API into an image file, byte for byte the disk at its freeze', async () => {
    for (const [i, k] of kept.entries()) {
      const target = join(restores, `scsi0-${i}.raw`);
      const run = await restoreRun(k.snapshotId, { disk: 'scsi0', target });
      expect(run).toMatchObject({ kind: 'restore', status: 'succeeded', failureReason: null });
      expect(run.details).toMatchObject({ guest: { target, targetKind: 'image-file', disk: 'scsi0', requireApproval: false, disks: [{ name: 'scsi0', size: SIZE, file: target, segments: 32 }] } });
      expect(sha(readFileSync(target))).toBe(k.image);
    }
  });

  it("shows a restore's progress by bytes of the disk, as a backup's: held before the disk streams, 0 of its size", async () => {
    let runId = '';
    await gate.hold(async () => {
      runId = (await stack.api.restoreGuestSnapshot(kept[0]!.snapshotId, { disk: 'scsi0', target: join(restores, 'progress.raw') })).runId;
    }, 'dump *--archive*');
    try {
      const held = await waitFor('the restore step to report its progress', async () => {
        const r = await stack.api.getRun(runId);
        return r.progress ? r : null;
      }, 60_000, 200);
      expect(held).toMatchObject({ status: 'running', progress: { bytesDone: 0, bytesTotal: SIZE, percent: 0 } });
    } finally {
      gate.release();
    }
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'succeeded', progress: null });
    expect(sha(readFileSync(join(restores, 'progress.raw')))).toBe(kept[0]!.image);
    gate.reset();
  });

  it('restores the whole guest into a new directory: every disk and the configuration files', async () => {
    const target = join(restores, 'vm-100');
    const run = await restoreRun(kept[1]!.snapshotId, { target });
    expect(run).toMatchObject({ status: 'succeeded', details: { guest: { targetKind: 'directory', configFiles: [join(target, 'config', '100.conf')] } } });
    expect(sha(readFileSync(join(target, 'scsi0.raw')))).toBe(kept[1]!.image);
    expect(readFileSync(join(target, 'config', '100.conf'), 'utf8')).toBe(readFileSync(join(work, '100.conf'), 'utf8'));
  });

  it('refuses a target outside the restore roots before writing anything, and a disk the guest does not have with a 400', async () => {
    const run = await restoreRun(kept[0]!.snapshotId, { disk: 'scsi0', target: join(work, 'outside.raw') });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toMatch(/outside this agent's allowed restore roots/);
    const err = await problemOf(stack.api.restoreGuestSnapshot(kept[0]!.snapshotId, { disk: 'virtio9', target: join(restores, 'x.raw') }));
    expect(err.status).toBe(400);
    expect(JSON.stringify(err.problem)).toContain('/disk');
  });

  const loopSkip = userInfo().uid !== 0 ? 'not root: loop devices need root' : null;
  (loopSkip ? it.skip : it)('writes a disk over a block device only once an operator approved it', async () => {
    const backing = join(work, 'device.img');
    writeFileSync(backing, '');
    truncateSync(backing, SIZE);
    const device = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
    try {
      const { runId } = await stack.api.restoreGuestSnapshot(kept[0]!.snapshotId, { disk: 'scsi0', target: device });
      await waitFor('awaiting-approval', async () => {
        const r = await stack.api.getRun(runId);
        if (['succeeded', 'failed', 'cancelled'].includes(r.status)) throw new Error(`run ended: ${r.status} ${r.failureReason}`);
        return r.status === 'awaiting-approval';
      }, 60_000, 200);
      await stack.api.approveRun(runId, 'test');
      const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
      expect(run).toMatchObject({ status: 'succeeded', details: { guest: { targetKind: 'block-device', requireApproval: true, approval: { decision: 'approved' } } } });
      expect(sha(readFileSync(device))).toBe(kept[0]!.image);
      await checkHistory(run.workflowId, 'guest-restore-approved.json');
    } finally {
      execFileSync('losetup', ['-d', device]);
    }
  });

  /** A run of the job started with restic held at the gate: resolves once it is there, after the disks were read. */
  async function heldRun(): Promise<string> {
    let runId = '';
    await gate.hold(async () => {
      runId = (await stack.api.runJob(jobId)).runId;
    });
    return runId;
  }

  async function restoredImage(snapshotId: string, name: string): Promise<string> {
    const target = join(restores, name);
    const run = await restoreRun(snapshotId, { disk: 'scsi0', target });
    expect(run.status).toBe('succeeded');
    return sha(readFileSync(target));
  }

  it('an agent killed -9 mid-run: the retry takes over the frozen view, one snapshot, the bitmap committed after the record', async () => {
    disk.write(3 * MiB, randomBytes(64 * 1024));
    const frozen = disk.read(0, SIZE);
    const runId = await heldRun();
    // The run's progress is the bytes read from the disk, of the bytes it planned to read.
    const progress = await waitFor('progress by bytes read', async () => (await stack.api.getRun(runId)).progress, 30_000, 200);
    expect(progress).toMatchObject({ bytesDone: 64 * 1024, bytesTotal: 64 * 1024, percent: 100 });
    await stack.kill9('agent');
    // The guest goes on writing while the agent is down: the retry must still store the frozen instant.
    disk.write(3 * MiB, randomBytes(64 * 1024));
    disk.write(25 * MiB, randomBytes(4096));
    gate.reset();
    await stack.start('agent');
    const run = await stack.api.waitForRun(runId, { timeoutMs: 180_000 });
    expect(run).toMatchObject({ status: 'succeeded', warnings: [] });
    expect(detailsOf(run).disks).toEqual([{ name: 'scsi0', size: SIZE, mode: 'reuse', reason: null, bytesRead: 64 * 1024 }]);
    expect((await snapshotsTagged(repoUrl, PASSWORD, runTag(run.workflowId))).map((s) => s.id)).toEqual([run.snapshotId]);
    expect(await bitmaps()).toEqual([`backstop-${jobId}-${run.id}`]);
    expect(await restoredImage(run.snapshotId!, 'after-crash.raw')).toBe(sha(frozen));
    kept.push({ snapshotId: run.snapshotId!, image: sha(frozen) });
  });

  it('a cancelled run releases the view and rolls its bitmap back: the next run still reads every write since its parent', async () => {
    const before = await qemuState();
    disk.write(12 * MiB, randomBytes(64 * 1024));
    const runId = await heldRun();
    await stack.api.cancelRun(runId, 'test');
    const cancelled = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(cancelled).toMatchObject({ status: 'cancelled', snapshotId: null });
    gate.reset();
    const after = await qemuState();
    // The parent's bitmap recording again (this run's merged into it), no overlay node, no export.
    expect(after).toEqual(before);
    expect(after.bitmaps).toEqual([{ name: expect.stringMatching(new RegExp(`^backstop-${jobId}-`)), recording: true }]);
    expect(after.exports).toEqual([]);
    expect(after.nodes.filter((n) => n.startsWith('bsfl-'))).toEqual([]);

    disk.write(30 * MiB, randomBytes(64 * 1024));
    const frozen = disk.read(0, SIZE);
    const next = await stack.api.waitForRun((await stack.api.runJob(jobId)).runId, { timeoutMs: 180_000 });
    expect(next).toMatchObject({ status: 'succeeded' });
    // Every cluster written since the parent froze: the two while its agent was down, the one
    // before the cancelled run (in that run's bitmap, merged back), the one just now.
    expect(detailsOf(next).disks[0]).toMatchObject({ mode: 'reuse', bytesRead: 4 * 64 * 1024 });
    expect(await restoredImage(next.snapshotId!, 'after-cancel.raw')).toBe(sha(frozen));
  });

  it("runs on its schedule: the schedule's action is the guest backup, an incremental like any other run", async () => {
    await stack.api.setJobSchedule(jobId, { cron: ['0 3 1 1 *'] });
    const schedule = await stack.temporal.schedule.getHandle(`backup-schedule/${jobId}`).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'guestBackupWorkflow' });
    const before = new Set((await stack.api.listRuns(jobId)).map((r) => r.id));
    disk.write(7 * MiB, randomBytes(4096));
    await stack.api.triggerJobSchedule(jobId);
    const scheduled = await waitFor('the scheduled run to end', async () => {
      const r = (await stack.api.listRuns(jobId)).find((x) => !before.has(x.id) && x.kind === 'backup');
      return r && ['succeeded', 'warning', 'failed', 'cancelled'].includes(r.status) ? r : null;
    }, 180_000, 250);
    expect(scheduled.workflowId).toMatch(new RegExp(`^backup/${jobId}/scheduled-`));
    expect(scheduled).toMatchObject({ status: 'succeeded' });
    expect(detailsOf(await stack.api.getRun(scheduled.id)).disks[0]).toMatchObject({ mode: 'reuse', bytesRead: 64 * 1024 });
  });

  it('an agent killed -9 in the middle of reading the disk: the retry rereads the same extents of the same frozen instant; the bitmap is committed only after the record', async () => {
    // Four whole segments written, read as four 1 MiB reads slowed to 128 KiB/s (8 s each): the agent dies between them.
    for (const at of [2, 9, 17, 28]) disk.write(at * MiB, randomBytes(MiB));
    const frozen = disk.read(0, SIZE);
    const [base] = await bitmaps();
    await disk.throttleReads(128 * 1024);
    const { runId } = await stack.api.runJob(jobId);
    const partway = await waitFor('the agent partway through reading the disk', async () => {
      const p = (await stack.api.getRun(runId)).progress;
      return p && p.bytesDone > 0 && p.bytesDone < p.bytesTotal ? p : null;
    }, 60_000, 100);
    expect(partway.bytesTotal).toBe(4 * MiB);
    await stack.kill9('agent');
    // The guest goes on writing; the bitmap counting from the last snapshot is still there, uncommitted over.
    disk.write(3 * MiB, randomBytes(64 * 1024));
    await disk.throttleReads(0);
    expect(await bitmaps()).toContain(base);
    await stack.start('agent');
    const run = await stack.api.waitForRun(runId, { timeoutMs: 180_000 });
    expect(run).toMatchObject({ status: 'succeeded', warnings: [] });
    expect(detailsOf(run).disks).toEqual([{ name: 'scsi0', size: SIZE, mode: 'reuse', reason: null, bytesRead: 4 * MiB }]);
    expect((await snapshotsTagged(repoUrl, PASSWORD, runTag(run.workflowId))).map((s) => s.id)).toEqual([run.snapshotId]);
    expect(await bitmaps()).toEqual([`backstop-${jobId}-${run.id}`]);
    expect(await restoredImage(run.snapshotId!, 'after-read-kill.raw')).toBe(sha(frozen));
  });

  it('drills like any job: the check, and a sample of segment files restored and compared with the snapshot', async () => {
    const { runId } = await stack.api.runJobDrill(jobId);
    const drill = await stack.api.waitForRun(runId, { timeoutMs: 180_000 });
    expect(drill).toMatchObject({ kind: 'drill', status: 'succeeded', failureReason: null });
  });

  it("deleted, it leaves nothing behind on its agent: its bitmaps leave the guest, its stage the agent's disk; its snapshots stay restorable", async () => {
    const jobDir = join(stack.dir, 'data', 'agents', 'local', 'guest', String(jobId));
    expect(existsSync(join(jobDir, 'stage'))).toBe(true);
    const before = await bitmaps();
    expect(before).toEqual([expect.stringMatching(new RegExp(`^backstop-${jobId}-`))]);
    await stack.api.deleteJob(jobId);
    const cleanup = await stack.temporal.workflow.getHandle(`guest-job-cleanup/${jobId}`).result();
    expect(cleanup).toEqual({ bitmapsRemoved: [`${disk.node}/${before[0]}`], guestRunning: true, workDirRemoved: true });
    expect(await bitmaps()).toEqual([]);
    expect(existsSync(jobDir)).toBe(false);
    // Its snapshots are untouched: the last one still restores.
    expect(await restoredImage(kept[kept.length - 1]!.snapshotId, 'after-delete.raw')).toBe(kept[kept.length - 1]!.image);
  });
});
