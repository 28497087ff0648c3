// Guest file mounts through the whole stack (issue 19, item 2): guest disks served by a real
// qemu-storage-daemon, backed up by guest jobs through the API, then one disk at a time
// restored by the server worker into a scratch image, attached to real read-only loop devices
// and its filesystems mounted read-only, read back byte for byte, and taken down again to the
// last loop device and scratch image. An ext4 disk (made with `mkfs.ext4 -d`, no mount), an
// MBR-partitioned disk, a disk of random bytes; and a kill -9 of the server worker while
// mounted: its restart sweeps the mount, the loop device and the image, and the mount's
// workflow restores and mounts the disk again.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { problemOf } from '../support/problem';
import { activityRecords } from '../support/history';
import { waitFor } from '../support/wait';
import { removeWorkDir } from '../support/work-dir';
import type { components } from '../../contract/generated/api-schema';

jest.setTimeout(300_000);

type GuestDiskMount = components['schemas']['GuestDiskMount'];

const MiB = 1024 * 1024;
const SEGMENT = MiB;

let pg: Postgres;
let stack: Stack;
let work: string;
const disks: GuestDisk[] = [];
/** Snapshot id of each guest's backup: a whole-disk ext4, an MBR disk with one ext4 partition, random bytes. */
const snapshots: Record<'whole' | 'mbr' | 'random', string> = { whole: '', mbr: '', random: '' };
let filesSnapshot: string;
const jobIds: Record<string, number> = {};

const data = randomBytes(300_000);
const partData = randomBytes(200_000);

/** An ext4 image of `size` bytes holding `dir`'s tree, made without mounting anything. */
function ext4Image(file: string, dir: string, size: number): void {
  writeFileSync(file, '');
  truncateSync(file, size);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', dir, file]);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-guest-files-'));
  const src = join(work, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'hello.txt'), 'hello from the guest\n');
  writeFileSync(join(src, 'sub', 'data.bin'), data);
  const whole = join(work, 'whole.raw');
  ext4Image(whole, src, 16 * MiB);

  // An MBR table with one Linux partition from 1 MiB, its ext4 made apart and copied in.
  const partSrc = join(work, 'part-src');
  mkdirSync(partSrc);
  writeFileSync(join(partSrc, 'in-partition.bin'), partData);
  const mbr = join(work, 'mbr.raw');
  writeFileSync(mbr, '');
  truncateSync(mbr, 24 * MiB);
  execFileSync('sfdisk', ['-q', mbr], { input: 'label: dos\nstart=2048, size=30720, type=83\n' });
  const part = join(work, 'part.raw');
  ext4Image(part, partSrc, 15 * MiB);
  const fd = openSync(mbr, 'r+');
  try {
    writeSync(fd, readFileSync(part), 0, 15 * MiB, MiB);
  } finally {
    closeSync(fd);
  }

  const random = join(work, 'random.raw');
  writeFileSync(random, randomBytes(4 * MiB));

  pg = await startPostgres();
  // A killed worker's mount attempt is retried after this long without a heartbeat.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '5000' } });
  const repositoryId = (await stack.api.createRepository({ name: 'guest-files', url: join(work, 'repo'), password: 'guest files password' })).id;
  for (const [name, image] of [['whole', whole], ['mbr', mbr], ['random', random]] as const) {
    const dir = join(work, `guest-${name}`);
    mkdirSync(dir);
    const disk = await startGuestDisk(dir, 0, { from: image });
    disks.push(disk);
    const job = await stack.api.createJob({ name: `vm-${name}`, agent: 'local', repositoryId, kind: 'guest', guest: { qmpSocket: disk.qmpSocket, disks: [{ name: 'scsi0', node: disk.node }], segmentBytes: SEGMENT } });
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    snapshots[name] = run.snapshotId!;
    jobIds[name] = job.id;
  }
  const filesJob = await stack.api.createJob({ name: 'files', agent: 'local', repositoryId, paths: [src] });
  const filesRun = await stack.api.waitForRun((await stack.api.runJob(filesJob.id)).runId, { timeoutMs: 120_000 });
  expect(filesRun.status).toBe('succeeded');
  filesSnapshot = filesRun.snapshotId!;
});

afterAll(async () => {
  // A failed test may leave mounts up: take them down through the API before the stack goes.
  for (const id of Object.values(snapshots)) if (id) await stack?.api.unmountGuestDisk(id, 'scsi0').catch(() => undefined);
  await stack?.stop();
  await pg?.stop();
  for (const d of disks) await d.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

const scratchDir = () => join(stack.dir, 'data', 'server', 'guest-scratch');

/** findmnt's view of one mount point: its targets (one per stacked mount), none when unmounted. */
function findmnt(path: string): string[] {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'TARGET', '--mountpoint', path], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The loop devices backed by a file in the server worker's scratch directory, as losetup lists them. */
function scratchLoops(): Array<{ name: string; 'back-file': string; ro: boolean }> {
  const out = execFileSync('losetup', ['--json', '--list', '--output', 'NAME,BACK-FILE,RO'], { encoding: 'utf8' });
  if (out.trim() === '') return [];
  const list = (JSON.parse(out) as { loopdevices: Array<{ name: string; 'back-file': string; ro: boolean | string }> }).loopdevices;
  return list.filter((l) => l['back-file']?.startsWith(`${scratchDir()}/`)).map((l) => ({ ...l, ro: l.ro === true || l.ro === '1' }));
}

async function mounted(snapshotId: string, after = 0): Promise<GuestDiskMount> {
  return waitFor('the disk to be mounted', async () => {
    const m = await stack.api.guestDiskMount(snapshotId, 'scsi0', 60);
    if (m.state === 'ended') throw new Error(`mount ended: ${m.failureReason}`);
    return m.state === 'mounted' && m.attempts > after ? m : null;
  }, 180_000);
}

/** Waits (GET, which never asks for an unmount) until the mount has ended on its own; the 404's detail says how. */
function endedDetail(snapshotId: string): Promise<string> {
  return waitFor('the mount to end', async () =>
    stack.api.guestDiskMount(snapshotId, 'scsi0', 30).then(
      () => null,
      // 404 once it is down: while it is being taken down (`unmounting`), then with how it ended.
      (e: { status?: number; message?: string }) => (e.status !== 404 ? Promise.reject(e as Error) : e.message?.includes('its last mount ended') ? e.message : null),
    ),
  180_000);
}

/** After an unmount: no mount under the mount's directory, no loop device, no scratch image. */
function expectAllGone(m: GuestDiskMount): void {
  for (const fs of m.filesystems) {
    expect(findmnt(fs.path)).toEqual([]);
    expect(existsSync(fs.path)).toBe(false);
  }
  expect(scratchLoops()).toEqual([]);
  expect(readdirSync(scratchDir())).toEqual([]);
}

test('a whole-disk ext4: mounted read-only, its files read back byte for byte, a write refused; DELETE leaves no mount, loop device or scratch image', async () => {
  const id = snapshots.whole;
  const started = await stack.api.mountGuestDisk(id, 'scsi0', { ttlSeconds: 600 });
  expect(started).toMatchObject({ snapshotId: id, disk: 'scsi0', workflowId: `guest-file-mount/${id}/scsi0` });
  expect(['starting', 'mounted']).toContain(started.state);
  // Idempotent: a second POST answers the same mount.
  expect((await stack.api.mountGuestDisk(id, 'scsi0')).mountId).toBe(started.mountId);

  const up = await mounted(id);
  expect(up.filesystems).toEqual([{ name: 'disk', partition: null, fsType: 'ext4', path: join(stack.dir, 'data', 'server', 'guest-mounts', up.mountId, 'disk'), offset: 0, size: 16 * MiB }]);
  const root = up.filesystems[0]!.path;
  expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('hello from the guest\n');
  expect(readFileSync(join(root, 'sub', 'data.bin')).equals(data)).toBe(true);
  expect(findmnt(root)).toEqual([root]);
  // Read-only all the way: the filesystem refuses a write, and the loop device under it is read-only.
  expect(() => writeFileSync(join(root, 'new.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
  const options = execFileSync('findmnt', ['-n', '-o', 'OPTIONS', '--mountpoint', root], { encoding: 'utf8' });
  for (const o of ['ro', 'nosuid', 'nodev', 'noexec']) expect(options.split(/[,\s]/)).toContain(o);
  const loops = scratchLoops();
  expect(loops).toEqual([{ name: expect.stringMatching(/^\/dev\/loop\d+$/), 'back-file': join(scratchDir(), `${up.mountId}.raw`), ro: true }]);

  const down = await stack.api.unmountGuestDisk(id, 'scsi0');
  expect(down).toMatchObject({ state: 'ended', endReason: 'unmounted', filesystems: [] });
  expectAllGone(up);
  // Once unmounted, a read finds no mount, and says how the last one ended.
  const gone = await problemOf(stack.api.guestDiskMount(id, 'scsi0'));
  expect(gone.status).toBe(404);
  expect(gone.message).toContain('its last mount ended (unmounted)');
});

test("an MBR-partitioned disk (of a deleted job: its snapshots stay mountable): its partition is found and mounted at its offset", async () => {
  const id = snapshots.mbr;
  await stack.api.deleteJob(jobIds.mbr!);
  await stack.api.mountGuestDisk(id, 'scsi0');
  const up = await mounted(id);
  expect(up.filesystems).toEqual([{ name: 'p1', partition: 1, fsType: 'ext4', path: join(stack.dir, 'data', 'server', 'guest-mounts', up.mountId, 'p1'), offset: MiB, size: 15 * MiB }]);
  expect(readFileSync(join(up.filesystems[0]!.path, 'in-partition.bin')).equals(partData)).toBe(true);
  expect(() => writeFileSync(join(up.filesystems[0]!.path, 'in-partition.bin'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
  expect((await stack.api.unmountGuestDisk(id, 'scsi0')).state).toBe('ended');
  expectAllGone(up);
});

test('a disk of random bytes: the mount fails with "no filesystem found" and leaves nothing behind', async () => {
  const id = snapshots.random;
  await stack.api.mountGuestDisk(id, 'scsi0');
  const detail = await endedDetail(id);
  expect(detail).toMatch(/no filesystem found on disk scsi0: neither a filesystem nor a partition table/);
  const last = await stack.api.unmountGuestDisk(id, 'scsi0');
  expect(last).toMatchObject({ state: 'ended', endReason: 'failed', failureReason: expect.stringContaining('no filesystem found on disk scsi0') });
  expect(scratchLoops()).toEqual([]);
  expect(readdirSync(scratchDir())).toEqual([]);
});

test('a scratch directory that fills up: the mount fails at once (one attempt) saying so, and the partial image is gone', async () => {
  const id = snapshots.whole;
  // 256 KiB of room where the 16 MiB disk's data (some MiB: the files and ext4's tables) goes.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', scratchDir()]);
  try {
    await stack.api.mountGuestDisk(id, 'scsi0');
    await endedDetail(id);
    // DELETE of an ended mount shows it as it ended.
    const last = await stack.api.unmountGuestDisk(id, 'scsi0');
    expect(last).toMatchObject({ endReason: 'failed', attempts: 1 });
    expect(last.failureReason).toMatch(/no room for disk scsi0 .* in the server worker's scratch directory .*ENOSPC/);
    // At once: one attempt of the restore, not the retry policy's five; nothing was mounted.
    const steps = await activityRecords(stack.temporal, last.workflowId);
    expect(steps.filter((a) => a.activityType === 'restoreGuestScratchImage')).toEqual([expect.objectContaining({ attempt: 1, timedOut: null })]);
    expect(steps.map((a) => a.activityType)).not.toContain('holdGuestFileMount');
    expect(readdirSync(scratchDir())).toEqual([]);
    expect(scratchLoops()).toEqual([]);
  } finally {
    execFileSync('umount', [scratchDir()]);
  }
});

test('a disk the guest does not have is 404, a files job snapshot 400, each saying why', async () => {
  const missing = await problemOf(stack.api.mountGuestDisk(snapshots.whole, 'scsi9'));
  expect(missing.status).toBe(404);
  expect(missing.message).toContain('has no disk scsi9 (its guest has scsi0)');
  const files = await problemOf(stack.api.mountGuestDisk(filesSnapshot, 'scsi0'));
  expect(files.status).toBe(400);
  expect(files.message).toContain("is not a guest job's backup");
  const ttl = await problemOf(stack.api.mountGuestDisk(snapshots.whole, 'scsi0', { ttlSeconds: 5 }));
  expect(ttl.status).toBe(400);
});

test('kill -9 of the server worker while mounted: the restart sweeps mount, loop device and image, and the disk is mounted again', async () => {
  const id = snapshots.whole;
  await stack.api.mountGuestDisk(id, 'scsi0', { ttlSeconds: 600 });
  const up = await mounted(id);
  const root = up.filesystems[0]!.path;
  const [oldLoop] = scratchLoops();
  expect(oldLoop).toBeDefined();

  await stack.kill9('server-worker');
  // The kernel keeps a dead worker's mount and loop device.
  expect(findmnt(root)).toEqual([root]);
  expect(scratchLoops()).toHaveLength(1);

  await stack.start('server-worker');
  // The heartbeat times out; the workflow finds the image swept, restores it again and mounts again.
  const back = await mounted(id, up.attempts);
  expect(back.mountId).toBe(up.mountId);
  // Exactly one mount (the dead one was removed, not stacked under), one loop device, one image.
  expect(findmnt(root)).toEqual([root]);
  expect(scratchLoops()).toHaveLength(1);
  expect(readdirSync(scratchDir())).toEqual([`${up.mountId}.raw`]);
  expect(readFileSync(join(root, 'sub', 'data.bin')).equals(data)).toBe(true);

  const down = await stack.api.unmountGuestDisk(id, 'scsi0');
  expect(down.state).toBe('ended');
  expectAllGone(back);
});
