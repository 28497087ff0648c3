// The guest disk's point-in-time view and its dirty bitmaps on real QEMU parts: a qcow2 disk
// served by qemu-storage-daemon (written through a FUSE export, as a guest writes through
// its device), the view frozen and exported over QMP, its extents mapped by nbdinfo and read
// by Backstop's NBD reader. What each backup reads is compared with what the disk held at the
// instant of its freeze, and the bitmaps are put through the paths a run takes: recorded,
// failed, retried, and a host crash.
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { QmpClient } from '../../activities/agent/guest/qmp-client';
import { NbdReader, MAX_READ_BYTES } from '../../activities/agent/guest/nbd-client';
import { readNbdMap } from '../../activities/agent/guest/nbd-info';
import { dataExtents, dirtyExtents } from '../../activities/agent/guest/nbd-map';
import { pieces, totalLength, type Extent } from '../../activities/shared/guest/extents';
import { commitBitmaps, freezeView, releaseView, rollbackBitmaps, type FrozenView } from '../../activities/agent/guest/guest-view';
import { bitmapName } from '../../activities/agent/guest/bitmap-plan';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const JOB = 7;
let work: string;
let disk: GuestDisk;
let qmp: QmpClient;

const createImage = async (file: string, size: number) => {
  const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, String(size)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-guest-view-'));
  disk = await startGuestDisk(work, SIZE);
  qmp = await QmpClient.connect(disk.qmpSocket);
});

afterAll(async () => {
  qmp?.close();
  await disk?.stop();
  rmSync(work, { recursive: true, force: true });
});

const request = (runId: string, parentRunId: string | null) => ({ jobId: JOB, runId, parentRunId, disks: [{ name: 'scsi0', node: disk.node }], workDir: join(work, 'runs', runId), createImage });

/** What a backup of `view` reads: the dirty extents (reuse) or the data extents (a full read), and their bytes. */
async function readView(view: FrozenView): Promise<{ extents: Extent[]; image: Buffer; bytesRead: number }> {
  const d = view.disks[0]!;
  const address = { socketPath: view.socketPath, exportName: d.exportName };
  const extents = d.mode === 'reuse' ? dirtyExtents(await readNbdMap(address, `qemu:dirty-bitmap:${d.base}`, d.size)) : dataExtents(await readNbdMap(address, 'base:allocation', d.size));
  const reader = await NbdReader.open(address);
  const image = Buffer.alloc(d.size);
  try {
    for (const p of pieces(extents, MAX_READ_BYTES)) (await reader.read(p.offset, p.length)).copy(image, p.offset);
    return { extents, image, bytesRead: reader.bytesRead };
  } finally {
    reader.close();
  }
}

/** A backup that ends recorded: freeze, read, release, commit. */
async function recordedBackup(runId: string, parentRunId: string | null, duringView?: () => void) {
  const view = await freezeView(qmp, request(runId, parentRunId));
  const frozenImage = disk.read(0, SIZE);
  duringView?.();
  const read = await readView(view);
  await releaseView(qmp, request(runId, parentRunId));
  await commitBitmaps(qmp, request(runId, parentRunId));
  return { view, frozenImage, ...read };
}

const bitmapsNow = async () => {
  const nodes = await qmp.execute<Array<{ 'node-name': string; 'dirty-bitmaps'?: Array<{ name: string; recording: boolean; inconsistent?: boolean }> }>>('query-named-block-nodes', { flat: true });
  return nodes.find((n) => n['node-name'] === disk.node)!['dirty-bitmaps'] ?? [];
};

/** Extents rounded out to the bitmap's 64 KiB granularity, as QEMU records them. */
const granular = (offset: number, length: number): Extent => {
  const g = 64 * 1024;
  const start = Math.floor(offset / g) * g;
  return { offset: start, length: Math.ceil((offset + length) / g) * g - start };
};

let runA: string;
let runB: string;

it('a first backup reads the disk as it was at the freeze, even while the guest writes on', async () => {
  disk.write(0, randomBytes(2 * MiB));
  disk.write(40 * MiB, randomBytes(MiB));
  runA = randomUUID();
  // The guest overwrites data the backup has not read yet: the view must not see it.
  const { view, frozenImage, image, extents, bytesRead } = await recordedBackup(runA, null, () => disk.write(40 * MiB, Buffer.alloc(MiB, 0xee)));
  expect(view.disks[0]).toMatchObject({ mode: 'new', reason: null, base: null });
  expect(image.equals(frozenImage)).toBe(true);
  // Only the allocated parts were read, not the 64 MiB.
  expect(bytesRead).toBe(totalLength(extents));
  expect(bytesRead).toBeLessThanOrEqual(4 * MiB);
  expect((await bitmapsNow()).map((b) => b.name)).toEqual([bitmapName(JOB, runA)]);
});

it('the next backup reads exactly the extents written since the last freeze, and its view is that instant', async () => {
  disk.write(5 * MiB + 100, randomBytes(3000));
  disk.write(20 * MiB, randomBytes(128 * 1024));
  runB = randomUUID();
  const { view, frozenImage, image, extents, bytesRead } = await recordedBackup(runB, runA);
  expect(view.disks[0]).toMatchObject({ mode: 'reuse', base: bitmapName(JOB, runA) });
  // The write during A's view (at 40 MiB) and the two since, at QEMU's granularity.
  expect(extents).toEqual([granular(5 * MiB + 100, 3000), granular(20 * MiB, 128 * 1024), granular(40 * MiB, MiB)]);
  expect(bytesRead).toBe(totalLength(extents));
  for (const e of extents) expect(image.subarray(e.offset, e.offset + e.length).equals(frozenImage.subarray(e.offset, e.offset + e.length))).toBe(true);
  expect((await bitmapsNow()).map((b) => b.name)).toEqual([bitmapName(JOB, runB)]);
});

it('a failed run gives back its bitmap: the next backup still reads what was written before and during it', async () => {
  disk.write(10 * MiB, randomBytes(64 * 1024));
  const failed = randomUUID();
  await freezeView(qmp, request(failed, runB));
  disk.write(30 * MiB, randomBytes(64 * 1024));
  await releaseView(qmp, request(failed, runB));
  await rollbackBitmaps(qmp, request(failed, runB));
  const bitmaps = await bitmapsNow();
  expect(bitmaps.map((b) => [b.name, b.recording])).toEqual([[bitmapName(JOB, runB), true]]);

  const next = randomUUID();
  const { extents } = await recordedBackup(next, runB);
  expect(extents).toEqual([granular(10 * MiB, 64 * 1024), granular(30 * MiB, 64 * 1024)]);
  runB = next;
});

it('a retried attempt takes over its own standing view and reads the same extents; a half-made one is rolled back and frozen anew', async () => {
  disk.write(12 * MiB, randomBytes(64 * 1024));
  const run = randomUUID();
  const first = await freezeView(qmp, request(run, runB));
  const firstRead = await readView(first);
  disk.write(50 * MiB, randomBytes(64 * 1024));
  // The attempt died here; the retry finds the view standing.
  const again = await freezeView(qmp, request(run, runB));
  expect(again.resumed).toBe(true);
  const againRead = await readView(again);
  expect(againRead.extents).toEqual(firstRead.extents);
  expect(againRead.image.equals(firstRead.image)).toBe(true);

  // A view whose overlay is gone (half torn down) is not taken over: it is rolled back and
  // frozen again, now also counting the write made after the first freeze.
  await qmp.execute('block-export-del', { id: again.disks[0]!.exportName, mode: 'hard' });
  await qmp.execute('block-job-cancel', { device: again.disks[0]!.blockJob, force: true });
  const refrozen = await freezeView(qmp, request(run, runB));
  expect(refrozen.resumed).toBe(false);
  expect((await readView(refrozen)).extents).toEqual([granular(12 * MiB, 64 * 1024), granular(50 * MiB, 64 * 1024)]);
  await releaseView(qmp, request(run, runB));
  await commitBitmaps(qmp, request(run, runB));
  runB = run;
});

async function restartQemu(how: 'clean' | 'crash'): Promise<void> {
  qmp.close();
  if (how === 'clean') await disk.stop();
  else await disk.kill();
  await disk.start();
  qmp = await QmpClient.connect(disk.qmpSocket);
}

it('a clean restart of QEMU keeps the bitmap in the image: the next backup is still incremental', async () => {
  await restartQemu('clean');
  disk.write(3 * MiB, randomBytes(64 * 1024));
  const run = randomUUID();
  const { view, extents } = await recordedBackup(run, runB);
  expect(view.disks[0]!.mode).toBe('reuse');
  expect(extents).toEqual([granular(3 * MiB, 64 * 1024)]);
  runB = run;
});

it('after a host crash QEMU calls a bitmap it had loaded inconsistent: the next backup reads the whole disk and says why', async () => {
  // Persisted by a clean stop, loaded (marked in use) by the start, then the crash.
  await restartQemu('clean');
  await restartQemu('crash');
  expect((await bitmapsNow()).find((b) => b.name === bitmapName(JOB, runB))?.inconsistent).toBe(true);
  const run = randomUUID();
  const { view, image, frozenImage } = await recordedBackup(run, runB);
  expect(view.disks[0]).toMatchObject({ mode: 'none', reason: expect.stringMatching(/inconsistent/) });
  expect(image.equals(frozenImage)).toBe(true);
  expect((await bitmapsNow()).map((b) => b.name)).toEqual([bitmapName(JOB, run)]);
  runB = run;
});

it('a bitmap lost in a crash (made since QEMU opened the image) or removed by hand means a full read, said out loud', async () => {
  await restartQemu('crash');
  expect(await bitmapsNow()).toEqual([]);
  const afterCrash = randomUUID();
  const crashed = await recordedBackup(afterCrash, runB);
  expect(crashed.view.disks[0]).toMatchObject({ mode: 'none', reason: expect.stringMatching(/no dirty bitmap/) });
  expect(crashed.image.equals(crashed.frozenImage)).toBe(true);

  await qmp.execute('block-dirty-bitmap-remove', { node: disk.node, name: bitmapName(JOB, afterCrash) });
  const removed = await recordedBackup(randomUUID(), afterCrash);
  expect(removed.view.disks[0]).toMatchObject({ mode: 'none', reason: expect.stringMatching(/no dirty bitmap/) });
  expect(removed.image.equals(removed.frozenImage)).toBe(true);
});
