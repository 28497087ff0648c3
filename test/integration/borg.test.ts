// The borg engine end to end on the real stack (issue 14): a borg repository created through
// the API, backed up in push and pull mode, browsed, restored, its retention previewed and
// applied (prune + compact), checked and synced to a real S3 server — with Debian's borg, the
// Temporal dev server, PostgreSQL and the API/worker/agent processes. What borg cannot do is
// refused with a 400 before any run starts.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startS3, type S3Server } from '../support/s3';
import { problemOf } from '../support/problem';
import { hashTree, writeSampleTree } from '../../workers/embedded/sample';
import { runTag } from '../../contract/names';

jest.setTimeout(300_000);

const run = promisify(execFile);
const PASSWORD = 'borg end to end passphrase';

let pg: Postgres;
let stack: Stack;
let s3: S3Server;
let work: string;
let source: string;
let repoPath: string;
let repoId: number;
let jobId: number;

/** The archives of the repository as borg itself lists them (checkpoints hidden, as borg hides them). */
async function borgArchives(): Promise<Array<{ id: string; name: string; comment: string }>> {
  const { stdout } = await run('borg', ['list', '--json', '--format', '{id}{name}{comment}', repoPath], {
    env: { ...process.env, BORG_PASSPHRASE: PASSWORD, BORG_BASE_DIR: join(work, 'borg-base'), TZ: 'UTC' },
  });
  return (JSON.parse(stdout) as { archives: Array<{ id: string; name: string; comment: string }> }).archives;
}

async function backup(job: number) {
  const accepted = await stack.api.runJob(job);
  const r = await stack.api.waitForRun(accepted.runId, { timeoutMs: 180_000 });
  return { ...r, workflowId: accepted.workflowId };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-borg-'));
  source = join(work, 'source');
  writeSampleTree(source, 30);
  writeFileSync(join(source, 'skip.cache'), 'excluded\n');
  for (const d of ['restores']) mkdirSync(join(work, d));
  repoPath = join(work, 'repo');
  pg = await startPostgres();
  s3 = await startS3();
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTORE_ROOTS: join(work, 'restores') } });
});

afterAll(async () => {
  await stack?.stop();
  await s3?.stop();
  await pg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a borg repository is created through the API; wrong engine/location pairs are refused', async () => {
  const repo = await stack.api.createRepository({ name: 'borg-main', engine: 'borg', url: repoPath, password: PASSWORD });
  expect(repo).toMatchObject({ engine: 'borg', url: repoPath, appendOnly: false, pbs: null });
  repoId = repo.id;
  // borg made it: its README says what it is.
  expect(readFileSync(join(repoPath, 'README'), 'utf8')).toMatch(/Borg Backup repository/);
  const refused = await problemOf(stack.api.createRepository({ name: 'borg-s3', engine: 'borg', url: 's3:http://127.0.0.1:1/b', password: PASSWORD }));
  expect(refused).toMatchObject({ status: 400, problem: expect.objectContaining({ detail: expect.stringContaining('a borg repository is a local path or ssh://') }) });
  // Registering the same directory again (init false) opens it with the passphrase; a wrong one is refused.
  const wrong = await problemOf(stack.api.createRepository({ name: 'borg-wrong', engine: 'borg', url: repoPath, password: 'not the passphrase', init: false }));
  expect(wrong.status).toBeGreaterThanOrEqual(400);
  expect(wrong.status).toBeLessThan(500);
});

test('push: one archive per run, named from it, excludes applied, restored byte for byte', async () => {
  const job = await stack.api.createJob({ name: 'borg-home', agent: 'local', repositoryId: repoId, paths: [source], excludes: ['*.cache'] });
  jobId = job.id;
  const r = await backup(job.id);
  expect(r).toMatchObject({ status: 'succeeded', failureReason: null });
  expect(r.snapshotId).toMatch(/^[0-9a-f]{64}$/);
  const archives = await borgArchives();
  expect(archives).toHaveLength(1);
  expect(archives[0]!.id).toBe(r.snapshotId);
  expect(JSON.parse(archives[0]!.comment)).toMatchObject({ tags: expect.arrayContaining([runTag(r.workflowId)]), host: 'local', paths: [source] });

  const snapshots = await stack.api.listSnapshots(job.id);
  expect(snapshots.map((s) => s.id)).toEqual([r.snapshotId]);
  expect(snapshots[0]).toMatchObject({ hostname: 'local', paths: [source] });

  // Browse and download, through the API.
  const tree = await stack.api.snapshotTree(r.snapshotId!, { path: source });
  const names = tree.entries.map((e) => e.name).sort();
  expect(names).toContain('dir0');
  expect(names).not.toContain('skip.cache');
  const file = await stack.api.snapshotFile(r.snapshotId!, join(source, 'dir0', 'file0.bin'));
  expect(Buffer.from(await file.arrayBuffer()).equals(readFileSync(join(source, 'dir0', 'file0.bin')))).toBe(true);

  // Restore into a new directory on the agent: byte-equal, the excluded file absent.
  const { runId } = await stack.api.restoreSnapshot(r.snapshotId!, {});
  const restored = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
  expect(restored).toMatchObject({ status: 'succeeded', failureReason: null });
  const target = (restored.details as unknown as { target: string }).target;
  const expected = hashTree(source);
  expected.delete('skip.cache');
  expect(hashTree(join(target, source))).toEqual(expected);
});

test('pull: the server worker runs borg against the agent\'s export; the archive has the original paths and the agent as host', async () => {
  const job = await stack.api.createJob({ name: 'borg-pull', agent: 'local', repositoryId: repoId, paths: [source], mode: 'pull' });
  const r = await backup(job.id);
  expect(r).toMatchObject({ status: 'succeeded', failureReason: null });
  const archive = (await borgArchives()).find((a) => a.id === r.snapshotId)!;
  expect(JSON.parse(archive.comment)).toMatchObject({ host: 'local', paths: [source] });
  const tree = await stack.api.snapshotTree(r.snapshotId!, { path: join(source, 'dir0') });
  expect(tree.entries.map((e) => e.name)).toContain('file0.bin');
});

test('retention: preview and prune from the same policy, per archive group, then borg check passes', async () => {
  await stack.api.setJobRetention(jobId, { keepLast: 1 });
  const second = await backup(jobId);
  expect(second.status).toBe('succeeded');
  const preview = await stack.api.previewRetention(jobId);
  expect(preview.keep.map((k) => k.snapshotId)).toEqual([second.snapshotId]);
  expect(preview.remove).toHaveLength(1);

  const before = await borgArchives();
  const { runId } = await stack.api.pruneRepository(repoId);
  const pruned = await stack.api.waitForRun(runId, { timeoutMs: 180_000 });
  expect(pruned).toMatchObject({ status: 'succeeded', failureReason: null });
  const after = await borgArchives();
  // The push job's older archive went; the pull job's (another job, no policy) stayed.
  expect(after).toHaveLength(before.length - 1);
  expect(after.map((a) => a.id)).toContain(second.snapshotId);
  expect(after.map((a) => a.id)).not.toContain(preview.remove[0]!.snapshotId);
  expect((await stack.api.listSnapshots(jobId)).map((s) => s.id)).toEqual([second.snapshotId]);
  await run('borg', ['check', repoPath], { env: { ...process.env, BORG_PASSPHRASE: PASSWORD, BORG_BASE_DIR: join(work, 'borg-base') } });
});

test('S3 sync copies the borg repository directory to a real S3 server', async () => {
  await s3.createBucket('borg-mirror');
  await stack.api.putS3SyncTarget(repoId, { endpoint: s3.endpoint, bucket: 'borg-mirror', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  const { runId } = await stack.api.runS3Sync(repoId);
  const synced = await stack.api.waitForRun(runId, { timeoutMs: 180_000 });
  expect(synced).toMatchObject({ status: 'succeeded', failureReason: null });
  const objects = await s3.list('borg-mirror');
  expect(objects.has('config')).toBe(true);
  expect([...objects.keys()].some((k) => k.startsWith('data/'))).toBe(true);
});

test('what borg cannot do is a 400 that says so, before any run', async () => {
  const [snapshot] = await stack.api.listSnapshots(jobId);
  const mount = await problemOf(stack.api.mountSnapshot(snapshot!.id));
  expect(mount).toMatchObject({ status: 400, problem: expect.objectContaining({ detail: expect.stringContaining('borg repositories cannot be mounted') }) });
  const tags = await problemOf(stack.api.setJobRetention(jobId, { keepTags: ['keep'] }));
  expect(tags).toMatchObject({ status: 400, problem: expect.objectContaining({ detail: expect.stringContaining('keepTags') }) });
});
