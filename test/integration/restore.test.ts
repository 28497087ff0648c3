// Restores and browsing on the real stack: API → RestoreWorkflow → restic on the target
// agent, a second agent for cross-host restores, approvals through the API, escape
// attempts, and a kill -9 of the agent mid-restore.
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { hashTree, writeSampleTree } from '../../workers/embedded/sample';
import type { ApiRun } from '../../core/api-client';
import { activityRecords, historyJson, recordHistory } from '../support/history';
import { writeRandomFiles } from '../support/random-files';
import { problemOf } from '../support/problem';
import { listProcesses } from '../support/procfs';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let source: string;
let repoId: number;
let snapshotId: string;
const PASSWORD = 'restore test password';

/** The crash tests' dataset: 16 files of 8 MiB that restic cannot deduplicate (d0/f0, d0/f8, …). */
const BIG_FILES = 16;
const BIG_FILE_BYTES = 8 * 1024 * 1024;
/**
 * restic reads the repository at 16 MiB/s here, so restoring the 128 MiB dataset takes some
 * 8 s on any machine: a kill part-way never races the restore's end.
 */
const RESTIC_WRAPPER = '#!/bin/sh\nexec restic --limit-download 16384 "$@"\n';

/** Bytes actually written under `dir` (restic may size a file before filling it). */
function allocatedBytes(dir: string): number {
  let sum = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) sum += lstatSync(join(e.parentPath, e.name)).blocks * 512;
  }
  return sum;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-restore-'));
  source = join(work, 'source');
  writeSampleTree(source, 40);
  // What restic keeps besides content: a symlink and an unusual mode.
  symlinkSync('dir0/file0.bin', join(source, 'link-to-file0'));
  writeFileSync(join(source, 'secret.txt'), 'only for root\n');
  chmodSync(join(source, 'secret.txt'), 0o600);
  for (const d of ['restores', 'inplace', 'web2', 'outside']) mkdirSync(join(work, d));
  // Written before the stack starts: seconds of synchronous writes would stall the client's
  // keep-alive sockets.
  writeRandomFiles(join(work, 'big'), BIG_FILES, BIG_FILE_BYTES, { subdirs: 8 });
  const wrapper = join(work, 'restic-capped');
  writeFileSync(wrapper, RESTIC_WRAPPER, { mode: 0o755 });
  pg = await startPostgres();
  stack = await startStack({
    databaseUrl: pg.url,
    env: { BACKSTOP_RESTORE_ROOTS: `${join(work, 'restores')}:${join(work, 'inplace')}`, BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '4000', BACKSTOP_RESTIC: wrapper },
  });
  const repo = await stack.api.createRepository({ name: 'restore-src', url: join(work, 'repo'), password: PASSWORD });
  repoId = repo.id;
  const job = await stack.api.createJob({ name: 'restore-src', agent: 'local', repositoryId: repo.id, paths: [source] });
  const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
  expect(run.status).toBe('succeeded');
  snapshotId = run.snapshotId!;
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Datasets, repositories and restores: do not leave them in /tmp.
  if (work) rmSync(work, { recursive: true, force: true });
});

const targetOf = (run: ApiRun) => (run.details as unknown as { target: string }).target;

async function restore(body: Parameters<Stack['api']['restoreSnapshot']>[1], id = snapshotId): Promise<ApiRun> {
  const { runId } = await stack.api.restoreSnapshot(id, body);
  return stack.api.waitForRun(runId, { timeoutMs: 120_000 });
}

async function awaitingApproval(runId: string): Promise<ApiRun> {
  return waitFor('awaiting-approval', async () => {
    const r = await stack.api.getRun(runId);
    if (['succeeded', 'failed', 'cancelled'].includes(r.status)) throw new Error(`run ended: ${r.status} ${r.failureReason}`);
    return r.status === 'awaiting-approval' ? r : null;
  }, 60_000, 200);
}

describe('restore round trips', () => {
  it('restores a whole snapshot, by short id, byte-equal into a new directory named after it', async () => {
    const run = await restore({}, snapshotId.slice(0, 8));
    expect(run).toMatchObject({ kind: 'restore', status: 'succeeded', agentName: 'local', repositoryId: repoId, snapshotId, failureReason: null });
    const target = targetOf(run);
    expect(target).toMatch(new RegExp(`^${join(work, 'restores')}/${snapshotId.slice(0, 8)}-\\d{8}T\\d{6}Z$`));
    expect(hashTree(join(target, source))).toEqual(hashTree(source));
    expect(readlinkSync(join(target, source, 'link-to-file0'))).toBe('dir0/file0.bin');
    expect(lstatSync(join(target, source, 'secret.txt')).mode & 0o777).toBe(0o600);
    expect(run.details).toMatchObject({ verification: 'passed', summary: { verified: true }, approval: null });
    // Restores are runs like backups.
    expect((await stack.api.listRuns()).map((r) => r.id)).toContain(run.id);
  });

  it('restores only the selected paths', async () => {
    const run = await restore({ include: [join(source, 'dir1'), '*.txt'] });
    expect(run.status).toBe('succeeded');
    const restored = join(targetOf(run), source);
    expect(readdirSync(restored).sort()).toEqual(['dir1', 'secret.txt']);
    expect(hashTree(join(restored, 'dir1'))).toEqual(hashTree(join(source, 'dir1')));
  });

  it('restores onto another agent, which holds the secret only while its restore runs', async () => {
    const web2 = join(work, 'web2');
    await stack.startAgent('web2', { BACKSTOP_RESTORE_ROOTS: web2 });
    expect(await stack.catalog.repositories.agentUse('web2', repoId)).toBe('none');
    const run = await restore({ agent: 'web2' });
    expect(run).toMatchObject({ status: 'succeeded', agentName: 'web2' });
    expect(targetOf(run).startsWith(`${web2}/`)).toBe(true);
    expect(hashTree(join(targetOf(run), source))).toEqual(hashTree(source));
    expect(await stack.catalog.repositories.agentUse('web2', repoId)).toBe('none');
  });
});

describe('in-place restores and their overwrite policies', () => {
  const target = () => join(work, 'inplace', 't');
  const file = (name: string) => join(target(), source, 'dir0', name);
  const OLD = new Date('2001-01-01T00:00:00Z');
  const FUTURE = new Date(Date.now() + 365 * 86_400_000);

  /** file0 changed but older than the snapshot's copy, file6 changed and newer. */
  function tamper(): void {
    writeFileSync(file('file0.bin'), 'local older edit');
    utimesSync(file('file0.bin'), OLD, OLD);
    writeFileSync(file('file6.bin'), 'local newer edit');
    utimesSync(file('file6.bin'), FUTURE, FUTURE);
  }

  beforeAll(async () => {
    const first = await restore({ target: target() });
    expect(first.status).toBe('succeeded');
  });

  it('never: keeps every existing file', async () => {
    tamper();
    const run = await restore({ target: target(), overwrite: 'never' });
    expect(run).toMatchObject({ status: 'succeeded', details: { overwrite: 'never', targetExisted: true } });
    expect(readFileSync(file('file0.bin'), 'utf8')).toBe('local older edit');
    expect(readFileSync(file('file6.bin'), 'utf8')).toBe('local newer edit');
  });

  it('if-newer: replaces only files older than the snapshot', async () => {
    tamper();
    const run = await restore({ target: target(), overwrite: 'if-newer' });
    expect(run.status).toBe('succeeded');
    expect(readFileSync(file('file0.bin'))).toEqual(readFileSync(join(source, 'dir0', 'file0.bin')));
    expect(readFileSync(file('file6.bin'), 'utf8')).toBe('local newer edit');
  });

  it('always: waits for approval, then replaces every differing file; a second decision is refused', async () => {
    tamper();
    const { runId } = await stack.api.restoreSnapshot(snapshotId, { target: target(), overwrite: 'always' });
    await awaitingApproval(runId);
    expect(readFileSync(file('file0.bin'), 'utf8')).toBe('local older edit');
    expect(await stack.api.approveRun(runId, 'checked with the owner')).toMatchObject({ decision: 'approved', by: 'test admin' });
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    expect(run.details).toMatchObject({ approval: { decision: 'approved', by: 'test admin', note: 'checked with the owner' } });
    expect(hashTree(join(target(), source))).toEqual(hashTree(source));
    const again = await problemOf(stack.api.rejectRun(runId));
    expect(again.status).toBe(409);
    // An approved restore: signals, the lock and the agent steps, for the replay test.
    recordHistory('restore-approved', await historyJson(stack.temporalAddress, run.workflowId));
  });

  it('always, rejected: ends cancelled and writes nothing', async () => {
    tamper();
    const { runId } = await stack.api.restoreSnapshot(snapshotId, { target: target(), overwrite: 'always' });
    await awaitingApproval(runId);
    await stack.api.rejectRun(runId, 'wrong machine');
    const run = await stack.api.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run).toMatchObject({ status: 'cancelled', failureReason: 'restore rejected by test admin: wrong machine' });
    expect(readFileSync(file('file0.bin'), 'utf8')).toBe('local older edit');
  });
});

describe('escape attempts', () => {
  it('refuses a target outside the allowed roots, writing nothing', async () => {
    const run = await restore({ target: join(work, 'outside') });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toBe(`restore target ${join(work, 'outside')} is outside this agent's allowed restore roots: ${join(work, 'restores')}, ${join(work, 'inplace')}`);
    expect(readdirSync(join(work, 'outside'))).toEqual([]);
  });

  it('refuses a target that leaves a root through a symlink', async () => {
    symlinkSync(join(work, 'outside'), join(work, 'restores', 'escape'));
    const run = await restore({ target: join(work, 'restores', 'escape', 'x') });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toContain(`resolves to ${join(work, 'outside', 'x')}`);
    expect(readdirSync(join(work, 'outside'))).toEqual([]);
  });

  // Bodies are built lazily: `work` and `source` exist only once beforeAll ran.
  it.each([
    ['a target with ..', () => ({ target: `${join(work, 'restores')}/../outside` }), /"\." or "\.\." segments/],
    ['a relative target', () => ({ target: 'restores' }), /does not match the API contract/],
    ['an include with ..', () => ({ include: [`${source}/../../etc/passwd`] }), /"\." or "\.\." segments/],
    ['an include outside the snapshot', () => ({ include: ['/etc/passwd'] }), /not inside the snapshot's paths/],
    ['an overwrite policy without a target', () => ({ overwrite: 'always' as const }), /explicit target only/],
  ])('refuses %s at the API', async (_what, body, message) => {
    const err = await problemOf(stack.api.restoreSnapshot(snapshotId, body()));
    expect(err.status).toBe(400);
    expect(`${err.problem?.detail}`).toMatch(message);
  });

  it('answers 404 for an unknown snapshot', async () => {
    expect((await problemOf(stack.api.restoreSnapshot('0123456789abcdef', {}))).status).toBe(404);
  });
});

describe('browsing a snapshot', () => {
  it('lists a directory, paged, with name, type, size, mtime and mode', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await stack.api.snapshotTree(snapshotId.slice(0, 10), { path: source, limit: 3, cursor });
      names.push(...page.entries.map((e) => e.name));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(names).toEqual(readdirSync(source).sort());
    const page = await stack.api.snapshotTree(snapshotId, { path: source, limit: 100 });
    expect(page.entries.find((e) => e.name === 'secret.txt')).toMatchObject({ type: 'file', size: 14, mode: 0o600 });
    expect(page.entries.find((e) => e.name === 'link-to-file0')).toMatchObject({ type: 'symlink', size: null });
    expect(page.entries.find((e) => e.name === 'dir0')?.type).toBe('dir');
  });

  it('streams one file with its length and type', async () => {
    const res = await stack.api.snapshotFile(snapshotId, join(source, 'dir3', 'file3.bin'));
    const expected = readFileSync(join(source, 'dir3', 'file3.bin'));
    expect(res.headers.get('content-length')).toBe(String(expected.length));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(expected);
    const txt = await stack.api.snapshotFile(snapshotId, join(source, 'secret.txt'));
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await txt.text()).toBe('only for root\n');
  });

  it('answers 404 for a missing path and 400 for a directory', async () => {
    expect((await problemOf(stack.api.snapshotTree(snapshotId, { path: join(source, 'nope') }))).status).toBe(404);
    expect((await problemOf(stack.api.snapshotFile(snapshotId, join(source, 'nope')))).status).toBe(404);
    expect((await problemOf(stack.api.snapshotFile(snapshotId, join(source, 'dir0')))).status).toBe(400);
  });
});

describe('a crash of the agent mid-restore', () => {
  const big = () => join(work, 'big');
  const total = BIG_FILES * BIG_FILE_BYTES;
  let bigSnapshot: string;

  beforeAll(async () => {
    const job = await stack.api.createJob({ name: 'restore-big', agent: 'local', repositoryId: repoId, paths: [big()] });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 240_000 });
    expect(backup.status).toBe('succeeded');
    bigSnapshot = backup.snapshotId!;
  });

  /** The dataset's files, relative to big(): d0/f0, d0/f8, … */
  const bigFiles = () =>
    readdirSync(big(), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(big().length + 1))
      .sort();

  /**
   * The dataset's files that are whole under `restored` (the dataset's place in a target):
   * the snapshot's size and content, and the snapshot's mtime, which restic sets only once it
   * wrote all of a file.
   */
  function wholeFiles(restored: string): string[] {
    return bigFiles().filter((rel) => {
      const at = join(restored, rel);
      if (!existsSync(at)) return false;
      const got = statSync(at, { bigint: true });
      const want = statSync(join(big(), rel), { bigint: true });
      return got.size === want.size && got.mtimeNs === want.mtimeNs && readFileSync(at).equals(readFileSync(join(big(), rel)));
    });
  }

  /**
   * Watches `dir()` fill on disk (heartbeats reach the API only every few seconds), kills the
   * agent while restic is part-way through, starts it again and waits for the run's end.
   * Returns the run and the files the killed attempt had finished.
   */
  async function crashMidRestore(runId: string, dir: () => string | null): Promise<{ run: ApiRun; finishedBeforeKill: string[] }> {
    const target = await waitFor('restore part-way', async () => {
      const r = await stack.api.getRun(runId);
      if (!['queued', 'running'].includes(r.status)) throw new Error(`restore ended early: ${r.status} ${r.failureReason}`);
      const d = dir();
      const bytes = d ? allocatedBytes(d) : 0;
      return bytes > total * 0.1 && bytes < total * 0.7 ? d : null;
    }, 60_000, 50);
    await stack.kill9('agent');
    // The killed attempt's restic outlives the agent until its next progress line meets the
    // closed pipe. Once it is gone the target holds exactly what that attempt left.
    await waitFor("the killed attempt's restic to exit", async () => !listProcesses().some((p) => p.state !== 'Z' && p.cmd.includes('restic') && p.cmd.includes(target)), 60_000, 100);
    // The crash left work for the next attempt: a restic that outlived the agent and finished
    // on its own would leave nothing to resume.
    expect(allocatedBytes(target)).toBeLessThan(total);
    const finishedBeforeKill = wholeFiles(join(target, big()));
    expect(finishedBeforeKill.length).toBeLessThan(BIG_FILES);
    await stack.start('agent');
    const run = await stack.api.waitForRun(runId, { timeoutMs: 240_000 });
    // The kill cut the restore step short: a second attempt finished it.
    const step = (await activityRecords(stack.temporal, run.workflowId)).find((a) => a.activityType === 'runRestore');
    expect(step?.attempt).toBeGreaterThanOrEqual(2);
    return { run, finishedBeforeKill };
  }

  it('resumes and finishes with a correct tree', async () => {
    const { runId } = await stack.api.restoreSnapshot(bigSnapshot, {});
    const restores = join(work, 'restores');
    const { run } = await crashMidRestore(runId, () => {
      const name = readdirSync(restores).find((n) => n.startsWith(`${bigSnapshot.slice(0, 8)}-`));
      return name ? join(restores, name) : null;
    });
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null, details: { verification: 'passed' } });
    expect(hashTree(join(targetOf(run), big()))).toEqual(hashTree(big()));
  });

  // `never` and `if-newer` decide from what is in the target, where a killed attempt leaves
  // half-written files: the resumed run must write those again and still keep the files the
  // policy protects.
  it.each([
    ['never', 'a local file', 'local edit, kept by never'],
    ['if-newer', 'a local file newer than the snapshot', 'local newer edit'],
  ] as const)('resumes an in-place %s restore without keeping half-written files, and keeps %s', async (policy, _what, kept) => {
    const target = join(work, 'inplace', `crash-${policy}`);
    const local = (rel: string) => join(target, big(), rel);
    mkdirSync(join(local('d0')), { recursive: true });
    writeFileSync(local('d0/f0'), kept);
    if (policy === 'if-newer') {
      utimesSync(local('d0/f0'), new Date(Date.now() + 365 * 86_400_000), new Date(Date.now() + 365 * 86_400_000));
      // Older than the snapshot's copy: replaced.
      writeFileSync(local('d0/f8'), 'local older edit');
      utimesSync(local('d0/f8'), new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    }

    const { runId } = await stack.api.restoreSnapshot(bigSnapshot, { target, overwrite: policy });
    const { run, finishedBeforeKill } = await crashMidRestore(runId, () => target);
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null, details: { overwrite: policy, verification: 'passed' } });
    // The resumed attempt wrote exactly the remainder, as restic reported it: it skipped the
    // kept local file and every file the killed attempt had finished, and wrote all others
    // whole (restic counts a skipped file at its size in the snapshot). A file the killed
    // attempt touched but did not finish (restic sets the mtime last) is never skipped, even
    // when its content happens to be complete.
    const skipped = ['d0/f0', ...finishedBeforeKill.filter((f) => f !== 'd0/f0')];
    expect((run.details as unknown as { summary: Record<string, number> }).summary).toMatchObject({
      bytesSkipped: skipped.length * BIG_FILE_BYTES,
      bytesRestored: (BIG_FILES - skipped.length) * BIG_FILE_BYTES,
    });

    const expected = hashTree(big());
    const got = hashTree(join(target, big()));
    expect(readFileSync(local('d0/f0'), 'utf8')).toBe(kept);
    expected.delete('d0/f0');
    got.delete('d0/f0');
    expect(got).toEqual(expected);
  });
});
