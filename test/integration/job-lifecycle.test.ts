// Editing and deleting jobs and repositories on the real stack (issue 18): an edit is what the
// next run does, a refused edit changes nothing, and a delete never loses backup data — a
// deleted job's snapshots stay listed and restorable, a deleted repository's data stays where
// it is — while their schedules leave Temporal and a delete that would strand a run is refused.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { scheduleIdFor } from '../../contract/names';
import type { ApiRun } from '../../core/api-client';
import { startPostgres, type Postgres } from '../support/postgres';
import { problemOf } from '../support/problem';
import { ResticGate } from '../support/restic-gate';
import { startStack, type Stack } from '../support/stack';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let gate: ResticGate;
const dataA = () => join(work, 'data-a');
const dataB = () => join(work, 'data-b');
const WEEKLY = { cron: ['0 3 * * 0'] };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-job-lifecycle-'));
  for (const [dir, text] of [[dataA(), 'first source\n'], [dataB(), 'second source\n']] as const) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'file.txt'), text);
  }
  gate = new ResticGate(join(work, 'gate'));
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: gate.binary } });
});

afterAll(async () => {
  gate?.release();
  await stack?.stop();
  await pg?.stop();
  removeWorkDir(work);
});

const repository = (name: string) => stack.api.createRepository({ name, url: join(work, name), password: `${name}-password` });
const backup = async (jobId: number): Promise<ApiRun> => stack.api.waitForRun((await stack.api.runJob(jobId)).runId, { timeoutMs: 120_000 });
const getRepository = (id: number) => stack.api.request<{ id: number; name: string }>('GET', `/v1/repositories/${id}`);
const temporalSchedule = (kind: 'backup' | 'drill' | 'prune', ownerId: number) => stack.temporal.schedule.getHandle(scheduleIdFor(kind, ownerId)).describe();

describe('editing a job', () => {
  it('changes what the next run backs up; a refused edit changes nothing', async () => {
    const repo = await repository('edit-repo');
    const other = await repository('edit-other');
    const job = await stack.api.createJob({ name: 'edit-me', agent: 'local', repositoryId: repo.id, paths: [dataA()], excludes: ['*.tmp'], postHook: 'true' });
    await stack.api.createJob({ name: 'taken', agent: 'local', repositoryId: repo.id, paths: [dataA()] });

    const edited = await stack.api.updateJob(job.id, { name: 'edited', paths: [dataB()], excludes: [], postHook: null, repositoryId: repo.id });
    expect(edited).toMatchObject({ id: job.id, name: 'edited', paths: [dataB()], excludes: [], postHook: null, repositoryId: repo.id, agent: 'local' });
    const run = await backup(job.id);
    expect(run.status).toBe('succeeded');
    const [snapshot] = await stack.api.listSnapshots(job.id);
    expect(snapshot).toMatchObject({ id: run.snapshotId, paths: [dataB()] });

    const before = await stack.api.getJob(job.id);
    const refusals: Array<[unknown, number, RegExp]> = [
      [{ repositoryId: other.id }, 400, /repository does not change/],
      [{ agent: 'no-such-agent' }, 400, /unknown agent .{1,2}no-such-agent/],
      [{ mode: 'pull', paths: ['/'] }, 400, /pull job cannot back up \//],
      [{ name: 'taken' }, 409, /already exists/],
      [{}, 400, /.+/],
      [{ paths: [] }, 400, /paths/],
      [{ colour: 'blue' }, 400, /colour/],
    ];
    for (const [body, status, detail] of refusals) {
      const err = await problemOf(stack.api.request('PATCH', `/v1/jobs/${job.id}`, body));
      expect([JSON.stringify(body), err.status]).toEqual([JSON.stringify(body), status]);
      // Contract violations name the field among the problem's `errors`; the rest say it in `detail`.
      expect(JSON.stringify(err.problem)).toMatch(detail);
    }
    // Nothing half-written: every refused edit left the job as it was.
    const definition = ({ health: _health, schedule: _schedule, ...rest }: typeof before) => rest;
    expect(definition(await stack.api.getJob(job.id))).toEqual(definition(before));
    expect((await problemOf(stack.api.updateJob(999_999, { name: 'ghost' }))).status).toBe(404);
  });
});

describe('deleting a job', () => {
  it('is refused while its run is under way; then its schedules go and its snapshots stay restorable', async () => {
    const repo = await repository('delete-job-repo');
    const job = await stack.api.createJob({ name: 'delete-me', agent: 'local', repositoryId: repo.id, paths: [dataA()], schedule: WEEKLY });
    await temporalSchedule('backup', job.id);
    await temporalSchedule('drill', job.id);

    let runId = '';
    await gate.hold(async () => {
      runId = (await stack.api.runJob(job.id)).runId;
    });
    const refused = await problemOf(stack.api.deleteJob(job.id));
    expect(refused.status).toBe(409);
    expect(`${refused.problem?.detail}`).toContain(runId);
    expect((await stack.api.getJob(job.id)).schedule).not.toBeNull();
    gate.release();
    const run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');

    await stack.api.deleteJob(job.id);
    const gone = await problemOf(stack.api.getJob(job.id));
    expect(gone.status).toBe(404);
    expect(`${gone.problem?.detail}`).toMatch(/was deleted at .*its runs and snapshots remain/);
    expect((await stack.api.request<{ items: Array<{ id: number }> }>('GET', '/v1/jobs')).items.map((j) => j.id)).not.toContain(job.id);
    await expect(temporalSchedule('backup', job.id)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(temporalSchedule('drill', job.id)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await stack.catalog.schedules.list()).filter((s) => s.jobId === job.id)).toEqual([]);
    expect((await problemOf(stack.api.runJob(job.id))).status).toBe(404);
    expect((await problemOf(stack.api.deleteJob(job.id))).status).toBe(404);

    // No backup data lost: the run is in the history and its snapshot restores to the job's agent.
    expect((await stack.api.getRun(runId)).status).toBe('succeeded');
    const [snapshot] = await stack.api.listSnapshots(job.id);
    expect(snapshot?.id).toBe(run.snapshotId);
    const restored = await stack.api.waitForRun((await stack.api.restoreSnapshot(snapshot!.id)).runId, { timeoutMs: 120_000 });
    expect(restored.status).toBe('succeeded');
    const target = (restored.details as unknown as { target: string }).target;
    expect(readFileSync(join(target, dataA(), 'file.txt'), 'utf8')).toBe('first source\n');

    // Its name is free for a new job.
    expect((await stack.api.createJob({ name: 'delete-me', agent: 'local', repositoryId: repo.id, paths: [dataA()] })).id).not.toBe(job.id);
  });
});

describe('editing and deleting a repository', () => {
  it('renames it and sets its post-prune script; a taken name is refused', async () => {
    const repo = await repository('rename-me');
    await repository('rename-taken');
    expect(await stack.api.updateRepository(repo.id, { name: 'renamed', postPruneScript: 'echo pruned' })).toMatchObject({ id: repo.id, name: 'renamed', postPruneScript: 'echo pruned', url: repo.url });
    expect(await stack.api.updateRepository(repo.id, { postPruneScript: null })).toMatchObject({ name: 'renamed', postPruneScript: null });
    const taken = await problemOf(stack.api.updateRepository(repo.id, { name: 'rename-taken' }));
    expect(taken.status).toBe(409);
    expect((await problemOf(stack.api.request('PATCH', `/v1/repositories/${repo.id}`, { url: '/elsewhere' }))).status).toBe(400);
    expect((await getRepository(repo.id)).name).toBe('renamed');
  });

  it('is refused while a job backs up into it; then it leaves the catalog and its data stays where it is', async () => {
    const repo = await repository('delete-repo');
    const job = await stack.api.createJob({ name: 'in-delete-repo', agent: 'local', repositoryId: repo.id, paths: [dataA()] });
    expect((await backup(job.id)).status).toBe('succeeded');
    await stack.api.setRepositorySchedule(repo.id, 'prune', WEEKLY);
    await temporalSchedule('prune', repo.id);

    const refused = await problemOf(stack.api.deleteRepository(repo.id));
    expect(refused.status).toBe(409);
    expect(`${refused.problem?.detail}`).toContain(`job ${job.id} "in-delete-repo"`);
    await getRepository(repo.id);

    await stack.api.deleteJob(job.id);
    await stack.api.deleteRepository(repo.id);
    const gone = await problemOf(getRepository(repo.id));
    expect(gone.status).toBe(404);
    expect(`${gone.problem?.detail}`).toMatch(/deleted from the catalog .*data was left where it is/);
    expect((await stack.api.request<{ items: Array<{ id: number }> }>('GET', '/v1/repositories')).items.map((r) => r.id)).not.toContain(repo.id);
    await expect(temporalSchedule('prune', repo.id)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await stack.api.listSnapshots(job.id)).toEqual([]);
    expect((await problemOf(stack.api.pruneRepository(repo.id))).status).toBe(404);

    // The repository itself is untouched: it opens again under the same name and location.
    expect(existsSync(join(repo.url, 'config'))).toBe(true);
    const again = await stack.api.createRepository({ name: 'delete-repo', url: repo.url, password: 'delete-repo-password', init: false });
    expect(again.id).not.toBe(repo.id);
  });
});
