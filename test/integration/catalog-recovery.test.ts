// Catalog recovery and moves on the real stack: backups with restic and borg, then
// - export → import into a new PostgreSQL database: the same jobs, repositories and
//   snapshots, secrets still sealed under the same key; a second import is refused;
// - the catalog database dropped and made again (a lost catalog): the repositories are
//   registered again with their passwords, `admin rebuild-catalog` brings back the jobs and
//   snapshots their tags name (a guest job as a guest job, from its snapshot's manifest), a
//   restore from one works (a guest disk too), and a second rebuild adds nothing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { runAdmin } from '../support/admin-cli';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { removeWorkDir } from '../support/work-dir';
import type { GuestSource } from '../../contract/guest';
import { hashTree, writeSampleTree } from '../../workers/embedded/sample';
import { createPool } from '../../catalog/db';
import { migrate } from '../../catalog/migrate';
import { Catalog } from '../../catalog/catalog';
import { SecretBox } from '../../core/secrets';

jest.setTimeout(300_000);

const RESTIC_PASSWORD = 'recovery restic password';
const BORG_PASSPHRASE = 'recovery borg passphrase';

let pg: Postgres;
let admin: Client;
let stack: Stack;
let work: string;
let source: string;
let resticRepo: string;
let borgRepo: string;
let disk: GuestDisk;
/** The guest job's backup: its guest as the API stored it, and the disk's hash at the backup. */
const guestBackup = { jobId: 0, snapshotId: '', guest: null as GuestSource | null, image: '' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Job and snapshot of each engine's backup (job 1 is a job that never ran). */
const backups: Record<'restic' | 'borg', { jobId: number; snapshotId: string }> = { restic: { jobId: 0, snapshotId: '' }, borg: { jobId: 0, snapshotId: '' } };

const dbUrl = (name: string): string => pg.url.replace(/\/postgres$/, `/${name}`);
const adminEnv = (database: string): Record<string, string> => ({
  DATABASE_URL: dbUrl(database),
  BACKSTOP_DATA_DIR: join(work, 'admin-data'),
  BACKSTOP_MASTER_KEY: stack.masterKey,
  BACKSTOP_MASTER_KEY_PREVIOUS: '',
});

async function catalogSummary(catalog: Catalog) {
  return {
    jobs: await catalog.jobs.list(),
    repositories: await catalog.repositories.list(),
    snapshots: await catalog.snapshots.list({ limit: 1000 }),
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-recovery-'));
  source = join(work, 'source');
  writeSampleTree(source, 30);
  resticRepo = join(work, 'restic-repo');
  borgRepo = join(work, 'borg-repo');
  pg = await startPostgres();
  admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('CREATE DATABASE backstop');
  await admin.query('CREATE DATABASE moved');
  stack = await startStack({ databaseUrl: dbUrl('backstop') });
  const restic = await stack.api.createRepository({ name: 'restic-home', url: resticRepo, password: RESTIC_PASSWORD });
  const borg = await stack.api.createRepository({ name: 'borg-home', engine: 'borg', url: borgRepo, password: BORG_PASSPHRASE });
  // A job that never ran takes id 1, so the recovered ids are not simply 1, 2, … again.
  await stack.api.createJob({ name: 'never-ran', agent: 'local', repositoryId: restic.id, paths: [source] });
  for (const [engine, repo] of [['restic', restic], ['borg', borg]] as const) {
    const job = await stack.api.createJob({ name: `home-${engine}`, agent: 'local', repositoryId: repo.id, paths: [source] });
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    backups[engine] = { jobId: job.id, snapshotId: run.snapshotId! };
  }
  // A guest job too (issue 19): its disk served by a real qemu-storage-daemon.
  mkdirSync(join(work, 'disk'));
  disk = await startGuestDisk(join(work, 'disk'), 8 * 1024 * 1024);
  disk.write(0, randomBytes(1024 * 1024));
  disk.write(5 * 1024 * 1024, randomBytes(64 * 1024));
  const guestJob = await stack.api.createJob({ name: 'vm-100', agent: 'local', repositoryId: restic.id, kind: 'guest', guest: { qmpSocket: disk.qmpSocket, disks: [{ name: 'scsi0', node: disk.node }], segmentBytes: 1024 * 1024 } });
  const image = sha(disk.read(0, disk.size));
  const guestRun = await stack.api.waitForRun((await stack.api.runJob(guestJob.id)).runId, { timeoutMs: 120_000 });
  expect(guestRun.status).toBe('succeeded');
  Object.assign(guestBackup, { jobId: guestJob.id, snapshotId: guestRun.snapshotId!, guest: guestJob.guest, image });
});

afterAll(async () => {
  await stack?.stop();
  await admin?.end();
  await pg?.stop();
  await disk?.stop();
  // Never through the guest disk's FUSE export, should the daemon have left it mounted.
  if (work) removeWorkDir(work);
});

test('export, then import into a new database: the same jobs, repositories and snapshots; a second import is refused', async () => {
  const file = join(work, 'catalog.json');
  const exported = await runAdmin(['export', file], adminEnv('backstop'));
  expect(exported.code).toBe(0);
  expect(exported.stdout).toMatch(/exported catalog schema \d+ to .*jobs 4.*snapshots 3/);
  expect(exported.stdout + exported.stderr).not.toContain(RESTIC_PASSWORD);

  const imported = await runAdmin(['import', file], adminEnv('moved'));
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  const movedPool = createPool(dbUrl('moved'), 2);
  try {
    const moved = new Catalog(movedPool);
    const original = await catalogSummary(stack.catalog);
    expect(original.snapshots.map((s) => s.id).sort()).toEqual([backups.restic.snapshotId, backups.borg.snapshotId, guestBackup.snapshotId].sort());
    expect(await catalogSummary(moved)).toEqual(original);
    // Sealed values came across sealed: the same master key opens them.
    const restic = original.repositories.find((r) => r.name === 'restic-home')!;
    expect(SecretBox.fromKey(Buffer.from(stack.masterKey, 'hex')).open(await moved.repositories.sealedPassword(restic.id), `repository:${restic.id}`)).toBe(RESTIC_PASSWORD);
    // Ids continue after the imported ones.
    expect(await moved.repositories.nextId()).toBeGreaterThan(Math.max(...original.repositories.map((r) => r.id)));

    const again = await runAdmin(['import', file], adminEnv('moved'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the catalog is not empty: .*jobs \(4 rows\).*Import only into a new, empty database/);
    expect(await catalogSummary(moved)).toEqual(original);
  } finally {
    await movedPool.end();
  }
});

test('after the catalog is lost: repositories registered again, rebuild-catalog brings the jobs and snapshots back, a restore works, and a second rebuild adds nothing', async () => {
  const { rows: tokens } = await stack.catalog.db.query('SELECT * FROM api_tokens');
  await admin.query('DROP DATABASE backstop WITH (FORCE)');
  await admin.query('CREATE DATABASE backstop');
  await migrate(stack.catalog.pool);
  // The operator would take the new admin token a fresh start prints; the test keeps its
  // clients' tokens (only their hashes are stored) so its API client and agent go on.
  await stack.catalog.db.query('INSERT INTO api_tokens SELECT * FROM json_populate_recordset(NULL::api_tokens, $1::json)', [JSON.stringify(tokens)]);
  await stack.kill9('api');
  await stack.start('api');
  await stack.api.waitUntilHealthy(60_000);
  expect(await stack.api.listSnapshots()).toEqual([]);

  // Registered again in the other order: the repositories' ids change, the jobs' do not.
  const borg = await stack.api.createRepository({ name: 'borg-home', engine: 'borg', url: borgRepo, password: BORG_PASSPHRASE, init: false });
  const restic = await stack.api.createRepository({ name: 'restic-home', url: resticRepo, password: RESTIC_PASSWORD, init: false });

  // A registered repository that cannot be read (gone from disk), listed after the good
  // ones: the rebuild fails naming it, and writes nothing for the others either.
  const box = SecretBox.fromKey(Buffer.from(stack.masterKey, 'hex'));
  const goneId = await stack.catalog.repositories.nextId();
  await stack.catalog.repositories.insert({ id: goneId, name: 'gone', url: join(work, 'gone-repo'), passwordSealed: box.seal('gone password', `repository:${goneId}`) });
  const refused = await runAdmin(['rebuild-catalog'], adminEnv('backstop'));
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`cannot list the snapshots of repository ${goneId} (gone)`);
  expect(refused.stderr).toContain('nothing was written');
  expect(refused.stderr + refused.stdout).not.toContain('gone password');
  expect(await stack.api.listSnapshots()).toEqual([]);
  expect(await stack.api.listJobs()).toEqual([]);
  await stack.catalog.db.query('DELETE FROM repositories WHERE id = $1', [goneId]);

  const rebuilt = await runAdmin(['rebuild-catalog'], adminEnv('backstop'));
  expect(rebuilt.stderr).toBe('');
  expect(rebuilt.code).toBe(0);
  expect(rebuilt.stdout).toContain(`job ${backups.restic.jobId} recreated as "recovered-job-${backups.restic.jobId}" (agent local, repository ${restic.id}, paths ${source})`);
  expect(rebuilt.stdout).toContain(`job ${backups.borg.jobId} recreated as "recovered-job-${backups.borg.jobId}" (agent local, repository ${borg.id}, paths ${source})`);
  expect(rebuilt.stdout).toContain(`job ${guestBackup.jobId} recreated as "recovered-job-${guestBackup.jobId}" (agent local, repository ${restic.id}, guest scsi0=${disk.node} at ${disk.qmpSocket})`);
  expect(rebuilt.stdout + rebuilt.stderr).not.toContain(RESTIC_PASSWORD);

  const jobs = await stack.api.listJobs();
  expect(jobs.map((j) => ({ id: j.id, agent: j.agent, repositoryId: j.repositoryId, paths: j.paths, kind: j.kind, guest: j.guest ?? null })).sort((a, b) => a.id - b.id)).toEqual([
    { id: backups.restic.jobId, agent: 'local', repositoryId: restic.id, paths: [source], kind: 'files', guest: null },
    { id: backups.borg.jobId, agent: 'local', repositoryId: borg.id, paths: [source], kind: 'files', guest: null },
    // The guest job as it was created: its guest read back from its snapshot's manifest.
    { id: guestBackup.jobId, agent: 'local', repositoryId: restic.id, paths: [], kind: 'guest', guest: guestBackup.guest },
  ]);
  // Each recreated job drills: its default weekly drill schedule is in the catalog, for the API's start-up reconcile.
  for (const jobId of [backups.restic.jobId, backups.borg.jobId]) {
    expect(await stack.catalog.schedules.find(`drill-schedule/${jobId}`)).toMatchObject({ kind: 'drill', jobId, paused: false, definition: { intervals: [{ everySeconds: 604800 }] } });
  }
  const snapshots = await stack.api.listSnapshots();
  expect(snapshots.map((s) => ({ id: s.id, jobId: s.jobId, repositoryId: s.repositoryId })).sort((a, b) => a.jobId! - b.jobId!)).toEqual([
    { id: backups.restic.snapshotId, jobId: backups.restic.jobId, repositoryId: restic.id },
    { id: backups.borg.snapshotId, jobId: backups.borg.jobId, repositoryId: borg.id },
    { id: guestBackup.snapshotId, jobId: guestBackup.jobId, repositoryId: restic.id },
  ]);

  // A restore from a recovered snapshot, onto the recovered job's agent.
  const { runId } = await stack.api.restoreSnapshot(backups.restic.snapshotId, {});
  const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
  expect(run).toMatchObject({ status: 'succeeded', agentName: 'local' });
  const target = (run.details as unknown as { target: string }).target;
  expect(hashTree(join(target, source))).toEqual(hashTree(source));

  // The recovered guest job's snapshot restores as a guest disk, byte for byte the disk at its backup.
  const diskTarget = join(stack.dir, 'data', 'restores', 'vm-100-scsi0.raw');
  const guestRestore = await stack.api.waitForRun((await stack.api.restoreGuestSnapshot(guestBackup.snapshotId, { disk: 'scsi0', target: diskTarget })).runId, { timeoutMs: 120_000 });
  expect(guestRestore).toMatchObject({ status: 'succeeded', failureReason: null });
  expect(sha(readFileSync(diskTarget))).toBe(guestBackup.image);

  // Idempotent: the second run finds everything in place.
  const second = await runAdmin(['rebuild-catalog'], adminEnv('backstop'));
  expect(second.code).toBe(0);
  expect(second.stdout).toContain('nothing to add: the catalog already has every snapshot');
  expect(await stack.api.listJobs()).toHaveLength(3);
  expect(await stack.api.listSnapshots()).toHaveLength(3);
  // New jobs get ids after the recovered ones.
  const next = await stack.api.createJob({ name: 'after-recovery', agent: 'local', repositoryId: restic.id, paths: [source] });
  expect(next.id).toBe(Math.max(backups.restic.jobId, backups.borg.jobId, guestBackup.jobId) + 1);
});
