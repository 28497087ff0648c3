// Repository check on the real stack: restic, borg, PostgreSQL, the Temporal dev server and
// the API / server worker / agent processes.
//  1. A restic repository after a backup: the check run succeeds, with the engine's lines
//     in the run log and { engine, durationSeconds } in its details.
//  2. The same repository with one pack file deleted: the check run ends `failed` in one
//     attempt (RepositoryDamagedError is not retried), its reason naming the missing pack.
//  3. A borg repository after a backup: the check run succeeds.
//  4. A check started while a backup holds the repository waits for it (exclusive lock).
//  5. A PBS repository is refused with 400 before any run starts.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath } from '../support/tools';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { locks } from '../support/restic';
import { waitFor } from '../support/wait';
import { problemOf } from '../support/problem';
import { writeRandomFiles } from '../support/random-files';
import { repositoryLockWorkflowId } from '../../contract/names';
import { lockStateQuery } from '../../workflows/repository-lock';
import type { ApiRun } from '../../core/api-client';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url });
  work = mkdtempSync(join(tmpdir(), 'backstop-check-'));
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
});

async function backedUp(name: string, engine: 'restic' | 'borg'): Promise<{ repositoryId: number; repoPath: string; jobId: number }> {
  const source = join(work, `${name}-src`);
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'a.txt'), `hello from ${name}\n`);
  writeRandomFiles(source, 3, 256 * 1024, { prefix: 'blob-' });
  const repoPath = join(work, `${name}-repo`);
  const repo = await stack.api.createRepository({ name, engine, url: repoPath, password: PASSWORD });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths: [source] });
  const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
  expect(run.status).toBe('succeeded');
  return { repositoryId: repo.id, repoPath, jobId: job.id };
}

async function check(repositoryId: number): Promise<{ run: ApiRun; workflowId: string }> {
  const accepted = await stack.api.checkRepository(repositoryId);
  expect(accepted.workflowId).toMatch(new RegExp(`^check/repository-${repositoryId}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
  return { run: await stack.api.waitForRun(accepted.runId, { timeoutMs: 120_000 }), workflowId: accepted.workflowId };
}

async function logLines(runId: string): Promise<string[]> {
  return (await stack.api.runLog(runId, { limit: 1000 })).items.map((l) => l.line);
}

interface HistoryEvent {
  eventId: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  activityTaskStartedEventAttributes?: { scheduledEventId?: string; attempt?: number };
}

/** The attempt each checkRepository activity ended on, from the workflow's history. */
async function checkAttempts(workflowId: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', stack.temporalAddress], { maxBuffer: 64 * 1024 * 1024 });
  const events = (JSON.parse(stdout) as { events: HistoryEvent[] }).events;
  const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkRepository').map((e) => String(e.eventId)));
  return events.flatMap((e) => (e.activityTaskStartedEventAttributes && scheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
}

describe('check of a restic repository', () => {
  let restic: { repositoryId: number; repoPath: string };

  beforeAll(async () => {
    restic = await backedUp('restic-checked', 'restic');
  });

  it('succeeds on a sound repository, with restic check in the run log', async () => {
    const { run, workflowId } = await check(restic.repositoryId);
    expect(run).toMatchObject({ kind: 'check', status: 'succeeded', jobId: null, repositoryId: restic.repositoryId, failureReason: null });
    expect(run.details).toMatchObject({ engine: 'restic', durationSeconds: expect.any(Number) });
    expect(await logLines(run.id)).toContain('no errors were found');
    expect(await checkAttempts(workflowId)).toEqual([1]);
    expect(await locks(restic.repoPath, PASSWORD)).toEqual([]);
  });

  it('fails at once, naming the missing pack, when a data file is gone', async () => {
    const dataDir = join(restic.repoPath, 'data');
    const packs = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    expect(packs.length).toBeGreaterThan(0);
    const victim = packs[0]!;
    rmSync(join(victim.parentPath, victim.name));

    const { run, workflowId } = await check(restic.repositoryId);
    expect(run).toMatchObject({ kind: 'check', status: 'failed' });
    expect(run.failureReason).toContain('restic check: the repository is damaged');
    expect(run.failureReason).toContain(`pack ${victim.name}`);
    expect(run.failureReason).toContain('does not exist');
    expect(run.details).toMatchObject({ engine: 'restic', durationSeconds: null });
    // Not retried: damage found once is damage.
    expect(await checkAttempts(workflowId)).toEqual([1]);
    expect((await logLines(run.id)).some((l) => l.includes(victim.name))).toBe(true);
    // The run released the repository: a later prune-like exclusive holder is not stuck.
    const lock = stack.temporal.workflow.getHandle(repositoryLockWorkflowId(restic.repositoryId));
    await waitFor('the lock to be free', async () => (await lock.query(lockStateQuery)).holders.length === 0, 30_000, 100);
  });
});

describe('check of a borg repository', () => {
  it('succeeds after a backup', async () => {
    const borg = await backedUp('borg-checked', 'borg');
    const { run } = await check(borg.repositoryId);
    expect(run).toMatchObject({ kind: 'check', status: 'succeeded', failureReason: null });
    expect(run.details).toMatchObject({ engine: 'borg', durationSeconds: expect.any(Number) });
  });
});

describe('check during a running backup', () => {
  it('waits for the backup to release the repository, then succeeds; the backup succeeds too', async () => {
    const source = join(work, 'big-src');
    // Incompressible data, so restic takes a while over it.
    writeRandomFiles(source, 4, 50 * 1024 * 1024, { prefix: 'blob-' });
    const repo = await stack.api.createRepository({ name: 'busy', url: join(work, 'busy-repo'), password: PASSWORD });
    const job = await stack.api.createJob({ name: 'busy', agent: 'local', repositoryId: repo.id, paths: [source] });

    const backup = await stack.api.runJob(job.id);
    const lock = stack.temporal.workflow.getHandle(repositoryLockWorkflowId(repo.id));
    await waitFor('backup to hold the repository lock', async () => (await lock.query(lockStateQuery)).holders.some((h) => h.holderId === backup.workflowId), 120_000, 100);

    const checked = await stack.api.checkRepository(repo.id);
    await waitFor(
      'check to queue behind the backup',
      async () => {
        const state = await lock.query(lockStateQuery);
        return state.holders.some((h) => h.holderId === backup.workflowId) && state.waiting.some((w) => w.holderId === checked.workflowId);
      },
      60_000,
      100,
    );
    expect((await stack.api.getRun(checked.runId)).status).toBe('running');

    const backupRun = await stack.api.waitForRun(backup.runId, { timeoutMs: 180_000 });
    const checkRun = await stack.api.waitForRun(checked.runId, { timeoutMs: 120_000 });
    expect(backupRun.status).toBe('succeeded');
    expect(checkRun).toMatchObject({ status: 'succeeded', failureReason: null });
  });
});

describe('check of a PBS repository', () => {
  it('is refused with 400 naming the reason, and no run starts', async () => {
    // Registered directly: the API would reach for a PBS server to open it.
    const { rows } = await stack.catalog.db.query(`INSERT INTO repositories (name, url, password_sealed, engine) VALUES ('pbs-unchecked', 'u@pbs!t@pbs.invalid:ds', 'sealed', 'pbs') RETURNING id`);
    const id = Number((rows[0] as { id: string }).id);
    const refused = await problemOf(stack.api.checkRepository(id));
    expect(refused).toMatchObject({ status: 400, problem: expect.objectContaining({ detail: expect.stringContaining('pbs repositories cannot be checked') }) });
    const { rows: runs } = await stack.catalog.db.query(`SELECT id FROM runs WHERE repository_id = $1`, [id]);
    expect(runs).toEqual([]);
  });
});
