// S3 on the real stack: SeaweedFS on loopback, Temporal dev server, PostgreSQL, restic,
// rclone, and the API/server worker/agent processes.
//   1. a repository living on S3: backup, clean `restic check`, no key in workflow history;
//   2. S3 sync of a local repository: the bucket lists exactly the repository's files;
//   3. kill -9 of the server worker mid-sync: the run finishes, uploaded objects are not
//      uploaded again, the bucket equals the repository;
//   4. restic pointed at the bucket restores a file byte-equal.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startS3, type S3Server } from '../support/s3';
import { waitFor } from '../support/wait';
import { toolPath } from '../support/tools';
import { hashTree, writeSampleTree } from '../../workers/embedded/sample';
import { ApiError } from '../../core/api-client';
import { recordHistory } from '../support/history';
import { writeRandomFiles } from '../support/random-files';
import type { S3SyncHeartbeat } from '../../contract/sync-activities';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

const run = promisify(execFile);
let pg: Postgres;
let s3: S3Server;
let stack: Stack;
let work: string;
const PASSWORD = 'offsite copies are not optional';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-s3-it-'));
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  for (const b of ['repos', 'offsite', 'crash']) await s3.createBucket(b);
  // A killed server worker's sync step is retried after this long without a heartbeat.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '4000' } });
});

afterAll(async () => {
  await stack?.stop();
  await s3?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

async function restic(repo: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('restic', args, {
    env: { ...process.env, ...env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(work, 'restic-cache') },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Workflow history as the Temporal CLI exports it: what an operator (or an attacker with UI access) sees. */
async function historyJson(workflowId: string): Promise<string> {
  const { stdout } = await run(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', stack.temporalAddress], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function expectNoSecret(text: string, secrets: string[]): void {
  for (const s of secrets) {
    expect(text).not.toContain(s);
    expect(text).not.toContain(Buffer.from(s).toString('base64'));
  }
}

/** The repository's files and sizes as the bucket should hold them (lock files stay local). */
function localListing(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(relative(dir, p), statSync(p).size);
    }
  };
  walk(dir);
  for (const k of [...out.keys()]) if (k.startsWith('locks/')) out.delete(k);
  return out;
}

async function backUp(name: string, repoUrl: string, source: string, s3Keys?: { accessKeyId: string; secretAccessKey: string }) {
  const repo = await stack.api.createRepository({ name, url: repoUrl, password: PASSWORD, ...(s3Keys ? { s3: s3Keys } : {}) });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths: [source] });
  const accepted = await stack.api.runJob(job.id);
  const r = await stack.api.waitForRun(accepted.runId, { timeoutMs: 180_000 });
  expect(r).toMatchObject({ status: 'succeeded', failureReason: null });
  return { repo, run: r, workflowId: accepted.workflowId };
}

async function setTarget(repositoryId: number, bucket: string, prefix: string, extra: { bandwidthLimit?: string; transfers?: number; checksum?: boolean } = {}) {
  return stack.api.putS3SyncTarget(repositoryId, { endpoint: s3.endpoint, bucket, prefix, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, ...extra });
}

describe('a repository on S3', () => {
  it('backs up through restic s3 backend, checks clean, and keeps its keys out of history and the API', async () => {
    const source = join(work, 'source-cloud');
    writeSampleTree(source, 30);
    const url = `s3:${s3.endpoint}/repos/cloud`;
    const { repo, run: r, workflowId } = await backUp('cloud', url, source, { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    expect(r.stats?.filesNew).toBe(30);

    const snaps = JSON.parse(await restic(url, ['snapshots', '--json'], s3.resticEnv())) as Array<{ id: string }>;
    expect(snaps.map((s) => s.id)).toEqual([r.snapshotId]);
    await restic(url, ['check'], s3.resticEnv());
    expect([...(await s3.list('repos', 'cloud')).keys()]).toContain('config');

    expectNoSecret(await historyJson(workflowId), [PASSWORD, s3.secretAccessKey]);
    expectNoSecret(JSON.stringify(await stack.api.listRepositories()), [s3.secretAccessKey, s3.accessKeyId]);

    // A repository on S3 is not mirrored to S3 again.
    const err = await setTarget(repo.id, 'offsite', 'cloud').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).problem?.detail).toMatch(/on S3 already/);
  });

  it('refuses s3 keys for a local repository', async () => {
    const err = await stack.api
      .createRepository({ name: 'local-with-keys', url: join(work, 'repo-x'), password: PASSWORD, s3: { accessKeyId: 'a', secretAccessKey: 'b' } })
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(400);
  });
});

describe('S3 sync of a local repository', () => {
  let repoPath: string;
  let repositoryId: number;
  let snapshotId: string;
  let source: string;

  beforeAll(async () => {
    source = join(work, 'source-main');
    writeSampleTree(source, 60);
    repoPath = join(work, 'repo-main');
    const b = await backUp('main', repoPath, source);
    repositoryId = b.repo.id;
    snapshotId = b.run.snapshotId!;
  });

  it('mirrors the repository: the bucket lists exactly its files and sizes, and the run records it', async () => {
    const target = await setTarget(repositoryId, 'offsite', '/main/', { transfers: 4, checksum: true });
    expect(target).toMatchObject({ bucket: 'offsite', prefix: 'main', accessKeyId: s3.accessKeyId, transfers: 4, checksum: true, bandwidthLimit: null });
    expectNoSecret(JSON.stringify(await stack.api.getS3SyncTarget(repositoryId)), [s3.secretAccessKey]);

    const accepted = await stack.api.runS3Sync(repositoryId);
    expect(accepted.workflowId).toMatch(new RegExp(`^s3-sync/repository-${repositoryId}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    const r = await stack.api.waitForRun(accepted.runId, { timeoutMs: 120_000 });
    expect(r).toMatchObject({ kind: 's3-sync', jobId: null, repositoryId, status: 'succeeded', failureReason: null });

    const expected = localListing(repoPath);
    expect(await s3.list('offsite', 'main')).toEqual(expected);
    const details = r.details as unknown as { sync: { objectsTransferred: number }; verification: { ok: boolean; localObjects: number; remoteObjects: number } };
    expect(details.verification).toMatchObject({ ok: true, localObjects: expected.size, remoteObjects: expected.size });
    expect(details.sync.objectsTransferred).toBe(expected.size);
    const history = await historyJson(accepted.workflowId);
    recordHistory('s3-sync-succeeded', history);
    expectNoSecret(history, [s3.secretAccessKey, PASSWORD]);

    // Incremental: a second sync finds everything in place and uploads nothing.
    const again = await stack.api.waitForRun((await stack.api.runS3Sync(repositoryId)).runId, { timeoutMs: 120_000 });
    expect(again.status).toBe('succeeded');
    expect(again.details).toMatchObject({ sync: { objectsTransferred: 0, objectsChecked: expected.size } });
  });

  it('answers 409 for a sync without a target, and 404 after the target is removed', async () => {
    const other = await stack.api.createRepository({ name: 'no-target', url: join(work, 'repo-no-target'), password: PASSWORD });
    expect(((await stack.api.runS3Sync(other.id).catch((e: unknown) => e)) as ApiError).status).toBe(409);
    await setTarget(other.id, 'offsite', 'gone');
    await stack.api.deleteS3SyncTarget(other.id);
    expect(((await stack.api.getS3SyncTarget(other.id).catch((e: unknown) => e)) as ApiError).status).toBe(404);
  });

  it('restores a file byte-equal with restic pointed at the bucket', async () => {
    const bucketRepo = `s3:${s3.endpoint}/offsite/main`;
    const target = join(work, 'restore-from-bucket');
    const file = join(source, 'dir3', 'file9.bin');
    await restic(bucketRepo, ['restore', snapshotId, '--target', target, '--include', file], s3.resticEnv());
    expect(readFileSync(join(target, file))).toEqual(readFileSync(file));
    expect(hashTree(join(target, source)).size).toBe(1);
  });
});

describe('a crash mid-sync', () => {
  it('finishes after kill -9 of the server worker without uploading finished objects again', async () => {
    // ~128 MiB of incompressible data: about eight 16 MiB pack files.
    const source = join(work, 'source-big');
    writeRandomFiles(source, 16, 8 * 1024 * 1024);
    const repoPath = join(work, 'repo-big');
    const { repo } = await backUp('big', repoPath, source);
    // 16 MiB/s in two streams: the sync takes several seconds, enough to kill it midway.
    await setTarget(repo.id, 'crash', 'big', { bandwidthLimit: '16M', transfers: 2 });
    const total = localListing(repoPath).size;

    const { runId, workflowId } = await stack.api.runS3Sync(repo.id);
    const handle = stack.temporal.workflow.getHandle(workflowId);
    const before = await waitFor('sync progress', async () => {
      const d = await handle.describe();
      const payload = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'runS3Sync')?.heartbeatDetails?.payloads?.[0];
      const hb = payload ? defaultPayloadConverter.fromPayload<S3SyncHeartbeat>(payload) : null;
      const s = hb?.stats;
      return s && s.transfers >= 2 && s.totalTransfers - s.transfers >= 3 ? s : null;
    }, 120_000, 100);
    await stack.kill9('server-worker');
    await stack.start('server-worker');

    const r = await stack.api.waitForRun(runId, { timeoutMs: 240_000 });
    expect(r).toMatchObject({ status: 'succeeded', failureReason: null });
    const details = r.details as unknown as { sync: { attempt: number; objectsTransferred: number; objectsChecked: number }; verification: { ok: boolean } };
    // The finishing attempt is a retry, found the objects uploaded before the kill in the
    // bucket and uploaded only the rest.
    expect(details.sync.attempt).toBeGreaterThanOrEqual(2);
    expect(details.sync.objectsChecked).toBeGreaterThanOrEqual(before.transfers);
    expect(details.sync.objectsTransferred).toBeLessThanOrEqual(total - before.transfers);
    expect(details.sync.objectsTransferred + details.sync.objectsChecked).toBe(total);
    expect(details.verification.ok).toBe(true);
    expect(await s3.list('crash', 'big')).toEqual(localListing(repoPath));
  });
});
