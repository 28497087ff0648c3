// Schedules on the real stack (the time-skipping server has no schedules): a schedule fires,
// its overlap policy holds, pause stops it, trigger and backfill start runs, the start-up
// reconcile repairs drift, calendar times across DST changes are the right instants, and a
// scheduled backup missed while the agent was down fails in bounded time and is caught up
// exactly once when the agent comes back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { ResticGate } from '../support/restic-gate';
import { activityRecords } from '../support/history';
import { problemOf } from '../support/problem';
import { writeSampleTree } from '../../workers/embedded/sample';
import { SERVER_TASK_QUEUE, scheduleIdFor } from '../../contract/names';
import { normalizeSchedule, toTemporalSpec } from '../../core/schedule';
import type { ApiRun } from '../../core/api-client';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let repositoryId: number;
/** Holds every backup of a source named "slow-…" until the test lets it through. */
let gate: ResticGate;
const PASSWORD = 'schedules test password';
/** A step waits this long for its agent before the run fails as "agent unreachable". */
const SCHEDULE_TO_START_MS = 15_000;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-schedules-'));
  // A long backup, for the overlap policies, is one the test holds at the gate: it lasts
  // exactly until the test has seen what it needs, whatever the machine's pace.
  gate = new ResticGate(join(work, 'gate'), { holdEvery: 'slow-source' });
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: gate.binary, BACKSTOP_AGENT_SCHEDULE_TO_START_MS: String(SCHEDULE_TO_START_MS) } });
  repositoryId = (await stack.api.createRepository({ name: 'scheduled', url: join(work, 'repo'), password: PASSWORD })).id;
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

let jobs = 0;
async function newJob(schedule?: Parameters<Stack['api']['setJobSchedule']>[1], source = 'source') {
  const dir = join(work, `${source}-${++jobs}`);
  writeSampleTree(dir, 5);
  return stack.api.createJob({ name: `scheduled-${jobs}`, agent: 'local', repositoryId, paths: [dir], ...(schedule ? { schedule } : {}) });
}

const scheduledRuns = async (jobId: number): Promise<ApiRun[]> => (await stack.api.listRuns(jobId)).filter((r) => r.workflowId.startsWith(`backup/${jobId}/scheduled-`));
const terminal = (r: ApiRun) => ['succeeded', 'warning', 'failed', 'cancelled'].includes(r.status);
const scheduleInfo = async (jobId: number) => (await stack.temporal.schedule.getHandle(scheduleIdFor('backup', jobId)).describe()).info;

let witnesses = 0;
/**
 * Proving that a paused schedule does not fire needs its fire times to pass, and Temporal says
 * nothing about a paused schedule's fire times (its next times stay put while it is paused).
 * So a witness schedule on the same interval counts them as Temporal processes them: its action
 * starts a workflow on a task queue no worker polls, so that one stays open and every later
 * fire time is skipped as an overlap. Resolves once the witness has taken or skipped `n`
 * actions, all after this call: the clock's pace and the machine's are both left to Temporal.
 */
async function fireTimesPass(n: number, everyMs: number): Promise<void> {
  const scheduleId = `witness-${++witnesses}`;
  const witness = await stack.temporal.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: everyMs }] },
    policies: { overlap: 'SKIP' },
    action: { type: 'startWorkflow', workflowType: 'witness', taskQueue: `${scheduleId}-unpolled`, workflowId: scheduleId, args: [], workflowExecutionTimeout: '10 minutes' },
  });
  const started = new Set<string>();
  try {
    await waitFor(`the witness schedule to process ${n} fire times`, async () => {
      const { info } = await witness.describe();
      for (const a of [...info.runningActions, ...info.recentActions.map((r) => r.action)]) started.add(a.workflow.workflowId);
      return info.numActionsTaken + info.numActionsSkippedOverlap >= n;
    }, 60_000 + n * everyMs, 300);
  } finally {
    await witness.delete();
    for (const id of started) await stack.temporal.workflow.getHandle(id).terminate('witness no longer needed').catch(() => undefined);
  }
}

/** Deletes the job's schedule, lets held backups through and waits until all its runs ended. */
async function endScheduled(jobId: number): Promise<ApiRun[]> {
  await stack.api.deleteJobSchedule(jobId);
  gate.release();
  return waitFor('the scheduled runs to end', async () => {
    const rs = await scheduledRuns(jobId);
    return rs.every(terminal) ? rs : null;
  }, 120_000, 300);
}

describe('a job with a schedule', () => {
  it('refuses a bad cron expression or timezone with a problem, writing nothing', async () => {
    const before = (await stack.api.listJobs()).length;
    const badCron = await problemOf(newJob({ cron: ['0 25 * * *'] }));
    expect(badCron.status).toBe(400);
    expect(badCron.problem?.detail).toMatch(/hour/);
    const badZone = await problemOf(newJob({ cron: ['0 2 * * *'], timezone: 'Europe/Atlantis' }));
    expect(badZone.status).toBe(400);
    expect(badZone.problem?.detail).toMatch(/unknown timezone/);
    expect((await stack.api.listJobs()).length).toBe(before);

    const job = await newJob();
    expect((await problemOf(stack.api.setJobSchedule(job.id, { cron: ['* * *'] }))).status).toBe(400);
    expect((await stack.api.getJob(job.id)).schedule).toBeNull();
    await expect(stack.temporal.schedule.getHandle(scheduleIdFor('backup', job.id)).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('fires, shows its next fire times, stops while paused, and runs at once when triggered', async () => {
    const job = await newJob({ intervals: [{ everySeconds: 3 }] });
    expect(job.schedule).toMatchObject({ scheduleId: `backup-schedule/${job.id}`, overlap: 'skip', timezone: 'UTC', paused: false, workflowIdPrefix: `backup/${job.id}/scheduled` });

    const fired = await waitFor('a scheduled run that succeeded', async () => (await scheduledRuns(job.id)).find((r) => r.status === 'succeeded'), 120_000, 500);
    expect(fired.workflowId).toMatch(new RegExp(`^backup/${job.id}/scheduled-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(fired.snapshotId).toBeTruthy();

    const shown = (await stack.api.getJob(job.id, 3)).schedule!;
    expect(shown.nextRuns).toHaveLength(3);
    const next = shown.nextRuns.map((t) => Date.parse(t));
    expect(next[1]! - next[0]!).toBe(3_000);
    expect(next[2]! - next[1]!).toBe(3_000);
    expect((await stack.api.getJob(job.id)).schedule!.nextRuns).toHaveLength(5);

    const paused = await stack.api.setJobSchedulePaused(job.id, true, 'disk replacement');
    expect(paused).toMatchObject({ paused: true, note: 'disk replacement' });
    expect((await stack.temporal.schedule.getHandle(paused.scheduleId).describe()).state).toMatchObject({ paused: true, note: 'disk replacement' });
    // Let whatever started before the pause finish, then let three fire times go by, as
    // Temporal counts them on a witness schedule of the same interval.
    await waitFor('scheduled runs to settle', async () => (await scheduledRuns(job.id)).every(terminal), 120_000, 500);
    const count = (await scheduledRuns(job.id)).length;
    const taken = (await scheduleInfo(job.id)).numActionsTaken;
    await fireTimesPass(3, 3_000);
    expect((await scheduleInfo(job.id)).numActionsTaken).toBe(taken);
    expect((await scheduledRuns(job.id)).length).toBe(count);

    // Trigger works while paused, at once.
    const triggered = await stack.api.triggerJobSchedule(job.id);
    expect(triggered.workflowIdPrefix).toBe(`backup/${job.id}/scheduled`);
    const run = await waitFor('the triggered run', async () => ((await scheduledRuns(job.id)).length > count ? (await scheduledRuns(job.id))[0] : null), 60_000, 300);
    expect((await stack.api.waitForRun(run.id, { timeoutMs: 120_000 })).status).toBe('succeeded');

    const resumed = await stack.api.setJobSchedulePaused(job.id, false, 'disk replaced');
    expect(resumed).toMatchObject({ paused: false, note: 'disk replaced' });
    await stack.api.deleteJobSchedule(job.id);
    expect((await stack.api.getJob(job.id)).schedule).toBeNull();
    await expect(stack.temporal.schedule.getHandle(resumed.scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('with overlap "skip", starts no second run while a long backup runs', async () => {
    gate.reset();
    const job = await newJob({ intervals: [{ everySeconds: 2 }], overlap: 'skip' }, 'slow-source');
    const first = await waitFor('the first scheduled run', async () => (await scheduledRuns(job.id))[0], 60_000, 300);
    await waitFor('the backup held in restic', async () => gate.held() === 1, 60_000, 100);
    // Two firings come while it is held: Temporal says it skipped them.
    await waitFor('two firings skipped', async () => (await scheduleInfo(job.id)).numActionsSkippedOverlap >= 2, 60_000, 300);
    expect((await stack.api.getRun(first.id)).status).toBe('running');
    expect((await scheduledRuns(job.id)).map((r) => r.id)).toEqual([first.id]);
    const runs = await endScheduled(job.id);
    expect(runs.map((r) => [r.id, r.status])).toEqual([[first.id, 'succeeded']]);
  });

  it('with overlap "buffer-one", starts exactly one more run right after a long backup', async () => {
    gate.reset();
    const job = await newJob({ intervals: [{ everySeconds: 2 }], overlap: 'buffer-one' }, 'slow-source');
    const first = await waitFor('the first scheduled run', async () => (await scheduledRuns(job.id))[0], 60_000, 300);
    await waitFor('the backup held in restic', async () => gate.held() === 1, 60_000, 100);
    // One firing is buffered; Temporal skips the ones after it.
    await waitFor('a firing skipped behind the buffered one', async () => (await scheduleInfo(job.id)).numActionsSkippedOverlap >= 1, 60_000, 300);
    expect((await scheduledRuns(job.id)).map((r) => r.id)).toEqual([first.id]);
    // Let the first run through: the buffered firing starts as soon as it ends.
    gate.release();
    expect((await stack.api.waitForRun(first.id, { timeoutMs: 120_000 })).status).toBe('succeeded');
    const second = await waitFor('the buffered run', async () => (await scheduledRuns(job.id)).find((r) => r.id !== first.id), 60_000, 300);
    expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(Date.parse((await stack.api.getRun(first.id)).finishedAt!));
    const runs = await endScheduled(job.id);
    expect(runs.find((r) => r.id === second.id)?.status).toBe('succeeded');
  });

  it('with overlap "cancel-other", cancels a long backup when the next firing comes', async () => {
    gate.reset();
    const job = await newJob({ intervals: [{ everySeconds: 5 }], overlap: 'cancel-other' }, 'slow-source');
    const first = await waitFor('the first scheduled run', async () => (await scheduledRuns(job.id))[0], 60_000, 300);
    // Held in restic until the next firing cancels it.
    const stopped = await stack.api.waitForRun(first.id, { timeoutMs: 120_000 });
    // Stopped by the cancellation, not finished.
    expect(stopped).toMatchObject({ status: 'cancelled', failureReason: 'cancelled' });
    expect(stopped.snapshotId).toBeNull();
    await waitFor('the run that replaced it', async () => (await scheduledRuns(job.id)).find((r) => r.id !== first.id), 60_000, 300);
    const runs = await endScheduled(job.id);
    // Every firing cancels the run before it. The schedule goes on firing (every 5 s) until
    // endScheduled deletes it, and on a busy machine a third firing can come first and cancel
    // the second run too: whatever their number, all but the last were cancelled, and the last
    // one, which no firing followed, finished.
    const ordered = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    expect(ordered.length).toBeGreaterThanOrEqual(2);
    expect(ordered.slice(0, -1).map((r) => r.status)).toEqual(ordered.slice(0, -1).map(() => 'cancelled'));
    expect(ordered.at(-1)?.status).toBe('succeeded');
  });

  it('backfills a time range with one run per fire time in it', async () => {
    const job = await newJob({ cron: ['0 * * * *'] });
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    // Three whole hours back: fire times hour-3h, hour-2h, hour-1h.
    await stack.api.backfillJobSchedule(job.id, { start: new Date(hour - 3 * 3_600_000 - 1_000).toISOString(), end: new Date(hour - 1_000).toISOString() });
    const expected = [3, 2, 1].map((h) => `backup/${job.id}/scheduled-${new Date(hour - h * 3_600_000).toISOString().replace('.000Z', 'Z')}`);
    const runs = await waitFor('three backfilled runs, finished', async () => {
      const rs = await scheduledRuns(job.id);
      return rs.length >= 3 && rs.every(terminal) ? rs : null;
    }, 240_000, 500);
    expect(runs.map((r) => r.workflowId).sort()).toEqual(expected);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await stack.api.deleteJobSchedule(job.id);
  });
});

describe('a repository\'s prune and S3-sync schedules', () => {
  it('starts the prune workflow with no run prepared by the API, and refuses an S3-sync schedule without a target', async () => {
    const set = await stack.api.setRepositorySchedule(repositoryId, 'prune', { cron: ['0 4 * * 0'], timezone: 'Europe/Berlin' });
    expect(set).toMatchObject({ scheduleId: `prune-schedule/repository-${repositoryId}`, workflowIdPrefix: `prune/repository-${repositoryId}/scheduled`, paused: false });
    expect(set.nextRuns).toHaveLength(5);
    await stack.api.triggerRepositorySchedule(repositoryId, 'prune');
    const prune = await waitFor('the scheduled prune', async () =>
      (await stack.api.listRuns()).find((r) => r.kind === 'prune' && r.workflowId.startsWith(`prune/repository-${repositoryId}/scheduled-`)), 60_000, 300);
    expect((await stack.api.waitForRun(prune.id, { timeoutMs: 180_000 })).status).toBe('succeeded');
    expect(await stack.api.setRepositorySchedulePaused(repositoryId, 'prune', true, 'quiet week')).toMatchObject({ paused: true, note: 'quiet week' });
    await stack.api.deleteRepositorySchedule(repositoryId, 'prune');
    expect((await problemOf(stack.api.getRepositorySchedule(repositoryId, 'prune'))).status).toBe(404);

    const noTarget = await problemOf(stack.api.setRepositorySchedule(repositoryId, 's3-sync', { cron: ['0 5 * * *'] }));
    expect(noTarget.status).toBe(409);
    expect(noTarget.problem?.detail).toMatch(/no S3 sync target/);
  });
});

describe('reconcile at API start-up', () => {
  it('recreates a deleted schedule, restores a changed one and deletes a stray one', async () => {
    const deletedJob = await newJob({ cron: ['0 2 * * *'], timezone: 'Europe/Berlin' });
    const changedJob = await newJob({ cron: ['0 3 * * *'], timezone: 'Europe/Berlin', overlap: 'buffer-one' });
    await stack.api.setJobSchedulePaused(changedJob.id, true, 'keep paused');
    const deletedId = scheduleIdFor('backup', deletedJob.id);
    const changedId = scheduleIdFor('backup', changedJob.id);
    const strayId = scheduleIdFor('backup', 99_999);

    // Behind Backstop's back: delete one, change another, add one of an unknown job.
    await stack.temporal.schedule.getHandle(deletedId).delete();
    await stack.temporal.schedule.getHandle(changedId).update((prev) => ({
      ...prev,
      spec: { intervals: [{ every: 60_000 }], timezone: 'UTC' },
      policies: { ...prev.policies, overlap: 'ALLOW_ALL' },
      state: { paused: false },
    }));
    await stack.temporal.schedule.create({
      scheduleId: strayId,
      spec: { intervals: [{ every: 3_600_000 }] },
      action: { type: 'startWorkflow', workflowType: 'backupWorkflow', taskQueue: SERVER_TASK_QUEUE, workflowId: 'backup/99999/scheduled', args: [{ jobId: 99_999 }] },
      state: { paused: true },
    });
    // Schedule listing is eventually consistent: wait until the stray one is listed.
    await waitFor('the stray schedule to be listed', async () => {
      for await (const s of stack.temporal.schedule.list()) if (s.scheduleId === strayId) return true;
      return false;
    }, 60_000, 500);

    await stack.kill9('api');
    await stack.start('api');
    await stack.api.waitUntilHealthy(60_000);

    const recreated = await waitFor('the deleted schedule to be back', () => stack.temporal.schedule.getHandle(deletedId).describe(), 30_000, 500);
    expect(recreated.spec.timezone).toBe('Europe/Berlin');
    expect(recreated.action).toMatchObject({ workflowType: 'backupWorkflow', workflowId: `backup/${deletedJob.id}/scheduled`, args: [{ jobId: deletedJob.id, agentScheduleToStartMs: SCHEDULE_TO_START_MS }] });
    expect(recreated.info.nextActionTimes[0]!.toISOString()).toMatch(/T0[01]:00:00\.000Z$/); // 02:00 in Berlin

    const restored = await stack.temporal.schedule.getHandle(changedId).describe();
    expect(restored.spec.timezone).toBe('Europe/Berlin');
    expect(restored.spec.intervals ?? []).toEqual([]);
    expect(restored.policies.overlap).toBe('BUFFER_ONE');
    expect(restored.state).toMatchObject({ paused: true, note: 'keep paused' });

    await expect(stack.temporal.schedule.getHandle(strayId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await stack.api.deleteJobSchedule(deletedJob.id);
    await stack.api.deleteJobSchedule(changedJob.id);
  });
});

describe('calendar times across DST changes (Europe/Berlin, 02:30 daily)', () => {
  // The schedule Backstop would create for this calendar, starting in 2027 so both changes
  // are among its next fire times; created directly to set startAt. It never fires in the test.
  async function nextTimes(id: string, startAt: string): Promise<string[]> {
    const { spec, policies } = toTemporalSpec(normalizeSchedule({ calendars: [{ hour: 2, minute: 30 }], timezone: 'Europe/Berlin' }));
    const handle = await stack.temporal.schedule.create({
      scheduleId: id,
      spec: { ...spec, startAt: new Date(startAt) },
      policies,
      action: { type: 'startWorkflow', workflowType: 'backupWorkflow', taskQueue: SERVER_TASK_QUEUE, workflowId: 'dst-check', args: [{ jobId: 0 }] },
    });
    try {
      return (await handle.describe()).info.nextActionTimes.slice(0, 5).map((t) => t.toISOString());
    } finally {
      await handle.delete();
    }
  }

  it('skips the day whose 02:30 does not exist in spring (28 March 2027)', async () => {
    expect(await nextTimes('dst-check-spring', '2027-03-26T00:00:00Z')).toEqual([
      '2027-03-26T01:30:00.000Z', // CET, UTC+1
      '2027-03-27T01:30:00.000Z',
      '2027-03-29T00:30:00.000Z', // CEST, UTC+2; nothing on the 28th
      '2027-03-30T00:30:00.000Z',
      '2027-03-31T00:30:00.000Z',
    ]);
  });

  // The SDK's doc comment says a repeated time fires twice; the server fires once, at the
  // second 02:30 (CET). This pins what the server really does.
  it('fires once, at the second 02:30, on the day 02:30 happens twice in autumn (31 October 2027)', async () => {
    expect(await nextTimes('dst-check-autumn', '2027-10-29T00:00:00Z')).toEqual([
      '2027-10-29T00:30:00.000Z', // CEST, UTC+2
      '2027-10-30T00:30:00.000Z',
      '2027-10-31T01:30:00.000Z', // 02:30 CET; not 00:30Z (02:30 CEST)
      '2027-11-01T01:30:00.000Z', // CET, UTC+1
      '2027-11-02T01:30:00.000Z',
    ]);
  });
});

describe('a scheduled backup while the agent is down', () => {
  it('fails as "agent unreachable" in bounded time, then runs exactly once when the agent returns', async () => {
    const job = await newJob({ cron: ['0 3 1 1 *'] }); // fires only by trigger during the test
    await stack.kill9('agent');
    await stack.api.triggerJobSchedule(job.id);
    const missed = await waitFor('the scheduled run', async () => (await scheduledRuns(job.id))[0], 60_000, 300);
    const failed = await stack.api.waitForRun(missed.id, { timeoutMs: 120_000 });
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toMatch(/^agent unreachable: agent "local"/);
    // Bounded by the step's schedule-to-start timeout, as Temporal enforced it: never hours.
    expect((await activityRecords(stack.temporal, failed.workflowId)).filter((a) => a.timedOut)).toEqual([
      { activityType: 'createSnapshot', scheduleToStartMs: SCHEDULE_TO_START_MS, timedOut: 'SCHEDULE_TO_START', attempt: null },
    ]);

    // The agent comes back (it registers at start), racing two more registrations: one
    // catch-up run, named after the missed one.
    await stack.start('agent');
    await Promise.all([stack.api.request('PUT', '/v1/agents/local', {}), stack.api.request('PUT', '/v1/agents/local', {})]);
    const catchUp = await waitFor('the catch-up run', async () => (await stack.api.listRuns(job.id)).find((r) => r.workflowId.startsWith(`backup/${job.id}/catchup-`)), 60_000, 300);
    const expectedId = `backup/${job.id}/catchup-${new Date(failed.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
    expect(catchUp.workflowId).toBe(expectedId);
    expect((await stack.api.waitForRun(catchUp.id, { timeoutMs: 120_000 })).status).toBe('succeeded');

    // Registering again later starts nothing more (the API starts catch-ups before it answers).
    await stack.api.request('PUT', '/v1/agents/local', {});
    const runs = await stack.api.listRuns(job.id);
    expect(runs.filter((r) => r.workflowId.includes('/catchup-')).map((r) => r.id)).toEqual([catchUp.id]);
    expect(runs).toHaveLength(2);
    await stack.api.deleteJobSchedule(job.id);
  });
});
