// Guest jobs on a borg repository (issue 19: "restic, and borg once it exists"): the same
// segment layout, with borg's files cache (`--files-cache mtime,size`, local to the agent)
// carrying untouched segments over where restic uses `--parent`, and the disk coming back
// through `borg export-tar` where restic uses `restic dump --archive tar`. Full, then an
// incremental that reads only the written extents, and each snapshot restored byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { removeWorkDir } from '../support/work-dir';
import type { ApiRun } from '../../core/api-client';
import type { GuestRunDetails } from '../../contract/guest-activities';

jest.setTimeout(300_000);

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const PASSPHRASE = 'guest borg passphrase';

let pg: Postgres;
let stack: Stack;
let work: string;
let disk: GuestDisk;
let restores: string;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const detailsOf = (run: ApiRun) => (run.details as unknown as GuestRunDetails).guest;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-guest-borg-'));
  restores = join(work, 'restores');
  mkdirSync(restores);
  mkdirSync(join(work, 'disk'));
  disk = await startGuestDisk(join(work, 'disk'), SIZE);
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTORE_ROOTS: restores } });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  await disk?.stop();
  // Never through the guest disk's FUSE export, should the daemon have left it mounted.
  removeWorkDir(work);
});

test('a guest job on borg: full, then an incremental reading only the written extents, each snapshot restored byte for byte', async () => {
  const repo = await stack.api.createRepository({ name: 'guests-borg', engine: 'borg', url: join(work, 'borg-repo'), password: PASSPHRASE });
  const job = await stack.api.createJob({ name: 'vm-borg', agent: 'local', repositoryId: repo.id, kind: 'guest', guest: { qmpSocket: disk.qmpSocket, disks: [{ name: 'scsi0', node: disk.node }], segmentBytes: MiB } });
  const kept: Array<{ snapshotId: string; image: string }> = [];

  for (const at of [0, 6, 11]) disk.write(at * MiB, randomBytes(MiB + 333));
  let image = sha(disk.read(0, SIZE));
  const full = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
  expect(full).toMatchObject({ status: 'succeeded', warnings: [], failureReason: null });
  expect(detailsOf(full).disks[0]).toMatchObject({ mode: 'new', reason: null });
  kept.push({ snapshotId: full.snapshotId!, image });

  disk.write(3 * MiB, randomBytes(64 * 1024));
  disk.write(14 * MiB + 10, randomBytes(100));
  image = sha(disk.read(0, SIZE));
  const inc = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
  expect(inc).toMatchObject({ status: 'succeeded', warnings: [], failureReason: null });
  // Not a full read in disguise: the bitmap reused, two clusters read, borg carried the 14 other segments over.
  expect(detailsOf(inc).disks).toEqual([{ name: 'scsi0', size: SIZE, mode: 'reuse', reason: null, bytesRead: 2 * 64 * 1024 }]);
  expect(inc.stats?.filesUnmodified).toBe(16 - 2);
  kept.push({ snapshotId: inc.snapshotId!, image });

  for (const [i, k] of kept.entries()) {
    const target = join(restores, `scsi0-${i}.raw`);
    const run = await stack.api.waitForRun((await stack.api.restoreGuestSnapshot(k.snapshotId, { disk: 'scsi0', target })).runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
    expect(sha(readFileSync(target))).toBe(k.image);
  }
});
