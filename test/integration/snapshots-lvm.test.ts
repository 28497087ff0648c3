// LVM snapshots on the real stack: a volume group on a loop device with an ext4 logical
// volume (classic, and thin in a thin pool), a job that freezes its path, a file changed
// while restic reads, and the snapshot volume unmounted and removed afterwards. Needs the
// kernel's device-mapper; where it is missing (as on the machines this project is developed
// on: no /dev/mapper/control) the file is skipped with that reason, and only the LVM command
// lines are tested (activities/shared/snapshot-commands.test.ts).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { logicalVolumes, lvmUnavailable, makeLvm, type LoopFs } from '../support/loop-fs';
import { ResticGate } from '../support/restic-gate';

jest.setTimeout(240_000);

const unavailable = lvmUnavailable();
if (unavailable) console.warn(`LVM snapshot integration tests skipped: ${unavailable}`);
const describeLvm = unavailable ? describe.skip : describe;

describeLvm('filesystem snapshots (LVM on a loop device)', () => {
  let pg: Postgres;
  let stack: Stack;
  let work: string;
  let gate: ResticGate;
  let repoId: number;
  const volumes: LoopFs[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'backstop-lvm-'));
    gate = new ResticGate(join(work, 'gate'));
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: gate.binary } });
    repoId = (await stack.api.createRepository({ name: 'lvm', url: join(work, 'repo'), password: 'lvm test password' })).id;
  });

  afterAll(async () => {
    gate?.reset();
    await stack?.stop();
    await pg?.stop();
    for (const v of volumes) v.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ['classic', false],
    ['thin', true],
  ] as const)('%s: reads a frozen copy of the logical volume and removes the snapshot afterwards', async (kind, thin) => {
    const vg = `backstop-${kind}-${randomBytes(3).toString('hex')}`;
    const fs = makeLvm(join(work, kind), 512, { vg, thin });
    volumes.push(fs);
    const www = join(fs.mountPoint, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'as it was when the snapshot was taken\n');

    const job = await stack.api.createJob({ name: `lvm-${kind}`, agent: 'local', repositoryId: repoId, paths: [www], snapshotMode: 'lvm' });
    let runId = '';
    await gate.hold(async () => {
      runId = (await stack.api.runJob(job.id)).runId;
    });
    expect(logicalVolumes(vg, 'backstop-')).toEqual([`backstop-${runId}`]);
    writeFileSync(join(www, 'index.html'), 'changed after the snapshot\n');
    gate.release();

    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'succeeded', warnings: [] });
    const [snapshot] = await stack.api.listSnapshots(job.id);
    expect(snapshot!.paths).toEqual([www]);
    const file = await stack.api.snapshotFile(run.snapshotId!, join(www, 'index.html'));
    expect(await file.text()).toBe('as it was when the snapshot was taken\n');

    expect(logicalVolumes(vg, 'backstop-')).toEqual([]);
    const mounts = join(stack.dir, 'data', 'agents', 'local', 'snapshot-mounts');
    expect(existsSync(mounts) ? readdirSync(mounts) : []).toEqual([]);
  });
});
