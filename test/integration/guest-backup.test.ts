// A guest disk backed up with restic through its point-in-time view on real QEMU parts:
// a full backup, then incrementals that read from the disk only the extents the bitmap
// marks (bytes counted) while restic carries every untouched segment over unread — and each
// snapshot, restored on its own and put back together, is byte for byte the disk as it was
// when that backup froze it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { snapshotsTagged } from '../support/restic';
import { QmpClient } from '../../activities/agent/guest/qmp-client';
import { Restic } from '../../activities/shared/engines/restic/restic';
import { backupGuest, type GuestParent } from '../../activities/agent/guest/guest-backup';
import { commitBitmaps } from '../../activities/agent/guest/guest-view';
import { assembleDisk } from '../../activities/agent/guest/guest-assemble';
import { restoreDiskImage } from '../../activities/shared/guest/guest-restore';
import type { GuestManifest } from '../../activities/shared/guest/guest-manifest';

jest.setTimeout(180_000);

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const SEGMENT = MiB;
const JOB = 3;
const PASSWORD = 'guest-backup-password';
let work: string;
let disk: GuestDisk;
let qmp: QmpClient;
const engine = new Restic({ cacheDir: '' });
let repo: { url: string; password: string };
const configFile = () => join(work, '100.conf');

const createImage = async (file: string, size: number) => {
  const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, String(size)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-guest-backup-'));
  disk = await startGuestDisk(join(work), SIZE);
  qmp = await QmpClient.connect(disk.qmpSocket);
  repo = { url: join(work, 'repo'), password: PASSWORD };
  await engine.init(repo);
  writeFileSync(configFile(), 'memory: 2048\nscsi0: local:100/vm-100-disk-0.qcow2,size=64M\n');
});

afterAll(async () => {
  qmp?.close();
  await disk?.stop();
  rmSync(work, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One backup run of the job: its snapshot, manifest, the bytes it read, and the disk as it was frozen. */
async function run(parent: GuestParent | null, opts: { stageRoot?: string; runId?: string; duringRead?: () => void } = {}) {
  const runId = opts.runId ?? randomUUID();
  const frozen = disk.read(0, SIZE);
  let first = true;
  const result = await backupGuest({
    jobId: JOB,
    runId,
    parent,
    disks: [{ name: 'scsi0', node: disk.node }],
    configFiles: [configFile()],
    segmentBytes: SEGMENT,
    stageRoot: opts.stageRoot ?? join(work, 'stage', String(JOB)),
    workDir: join(work, 'runs', runId),
    qmp,
    engine,
    repo,
    host: 'pve1',
    tags: [`backstop-run=guest/${JOB}/${runId}`, `backstop-job=${JOB}`],
    control: {},
    createImage,
    onDiskRead: () => {
      if (first) opts.duringRead?.();
      first = false;
    },
  });
  return { runId, frozen, ...result, parentOf: (): GuestParent => ({ runId, snapshotId: result.snapshot.id, manifest: result.manifest }) };
}

/** The disk image snapshot `id` holds, restored on its own and put back together. */
async function restoredImage(id: string, manifest: GuestManifest): Promise<Buffer> {
  const target = mkdtempSync(join(work, 'restore-'));
  await engine.restore(repo, id, target, {});
  const image = join(target, 'image.raw');
  assembleDisk(join(target, manifest.stageRoot), manifest.disks[0]!, image);
  const bytes = readFileSync(image);
  rmSync(target, { recursive: true, force: true });
  return bytes;
}

let last: Awaited<ReturnType<typeof run>>;
const kept: Array<{ id: string; manifest: GuestManifest; image: string }> = [];

it('a first backup reads the allocated disk once and stores it, with its configuration, as the frozen instant', async () => {
  for (const at of [0, 9, 17, 33, 50]) disk.write(at * MiB + 4096, randomBytes(MiB + 12345));
  // The guest keeps writing while the backup reads: the snapshot must not see it.
  last = await run(null, { duringRead: () => disk.write(9 * MiB, Buffer.alloc(MiB, 0x5a)) });
  expect(last.manifest.disks[0]).toMatchObject({ name: 'scsi0', size: SIZE, segmentBytes: SEGMENT, mode: 'new', reason: null });
  expect(last.bytesRead).toBeLessThan(16 * MiB);
  expect(sha(await restoredImage(last.snapshot.id, last.manifest))).toBe(sha(last.frozen));
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c: Buffer, _enc, cb) => (chunks.push(c), cb()) });
  await engine.dumpFile(repo, last.snapshot.id, join(last.manifest.stageRoot, 'config', '100.conf'), sink);
  expect(Buffer.concat(chunks).toString()).toContain('scsi0: local:100/vm-100-disk-0.qcow2');
  await commitBitmaps(qmp, { jobId: JOB, runId: last.runId, disks: [{ name: 'scsi0', node: disk.node }] });
  kept.push({ id: last.snapshot.id, manifest: last.manifest, image: sha(last.frozen) });
});

it('an incremental reads only the dirty extents, restic carries the other segments over unread, and the snapshot restores on its own', async () => {
  disk.write(20 * MiB + 100, randomBytes(5000));
  disk.write(40 * MiB, randomBytes(2 * 64 * 1024));
  const parent = last.parentOf();
  last = await run(parent);
  const d = last.manifest.disks[0]!;
  expect(d.mode).toBe('reuse');
  // The write made during the first backup's read (1 MiB at 9 MiB) and the two since, at 64 KiB granularity.
  expect(last.bytesRead).toBe(MiB + 64 * 1024 + 2 * 64 * 1024);
  // 64 segments, 3 written; the configuration file unchanged too.
  expect(last.stats?.filesUnmodified).toBe(64 - 3 + 1);
  expect(sha(await restoredImage(last.snapshot.id, last.manifest))).toBe(sha(last.frozen));
  await commitBitmaps(qmp, { jobId: JOB, runId: last.runId, disks: [{ name: 'scsi0', node: disk.node }] });
  kept.push({ id: last.snapshot.id, manifest: last.manifest, image: sha(last.frozen) });
});

it('when the engine does not carry the untouched segments over, the snapshot is forgotten and the disk read whole, said why', async () => {
  disk.write(60 * MiB, randomBytes(4096));
  const runId = randomUUID();
  // Another stage path: restic matches nothing of the parent's, so it would store zeros for every untouched segment.
  last = await run(last.parentOf(), { runId, stageRoot: join(work, 'elsewhere', String(JOB)) });
  expect(last.manifest.disks[0]).toMatchObject({ mode: 'none', reason: expect.stringMatching(/carried 0 of 64 untouched segments/) });
  expect(await snapshotsTagged(repo.url, PASSWORD, `backstop-run=guest/${JOB}/${runId}`)).toHaveLength(1);
  expect(sha(await restoredImage(last.snapshot.id, last.manifest))).toBe(sha(last.frozen));
  await commitBitmaps(qmp, { jobId: JOB, runId: last.runId, disks: [{ name: 'scsi0', node: disk.node }] });
  kept.push({ id: last.snapshot.id, manifest: last.manifest, image: sha(last.frozen) });
});

it('a retried attempt of a run leaves exactly one snapshot of it, and the bitmap it did not commit still counts every write', async () => {
  disk.write(30 * MiB, randomBytes(64 * 1024));
  const parent = last.parentOf();
  const runId = randomUUID();
  // The stage where the parent's segments are (the last test moved it).
  const stageRoot = parent.manifest.stageRoot;
  const first = await run(parent, { runId, stageRoot });
  // The attempt died before its snapshot was recorded; the retry runs the same run again.
  disk.write(31 * MiB, randomBytes(64 * 1024));
  const retry = await run(parent, { runId, stageRoot });
  expect(retry.manifest.disks[0]!.mode).toBe('reuse');
  expect(await snapshotsTagged(repo.url, PASSWORD, `backstop-run=guest/${JOB}/${runId}`)).toEqual([expect.objectContaining({ id: retry.snapshot.id })]);
  expect(first.snapshot.id).not.toBe(retry.snapshot.id);
  expect(retry.bytesRead).toBe(2 * 64 * 1024);
  expect(sha(await restoredImage(retry.snapshot.id, retry.manifest))).toBe(sha(retry.frozen));
});

it('every snapshot kept still restores to its own instant', async () => {
  for (const k of kept) expect(sha(await restoredImage(k.id, k.manifest))).toBe(k.image);
});

it('restores a disk straight from the repository, no scratch copy: each kept snapshot streamed into an image file', async () => {
  for (const k of kept) {
    const image = join(work, `streamed-${k.id.slice(0, 8)}.raw`);
    const restored = await restoreDiskImage(engine, repo, k.id, k.manifest, 'scsi0', image, {});
    expect(restored.segments).toBe(64);
    expect(sha(readFileSync(image))).toBe(k.image);
    rmSync(image);
  }
  await expect(restoreDiskImage(engine, repo, kept[0]!.id, kept[0]!.manifest, 'virtio9', join(work, 'x.raw'))).rejects.toThrow(/no disk virtio9/);
});
