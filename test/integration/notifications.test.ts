// Notifications on the real stack (API, server worker, agent, Temporal dev server, PostgreSQL)
// with a real HTTP receiver on loopback: rules per scope and event send a failing and a
// succeeding backup to the right channels, secrets stay write-only and out of workflow
// history, the test button reports the receiver's answer, and a receiver that is down when a
// run ends changes nothing about the run: its attempts show on the run, and the message
// arrives once the receiver is back (retries shortened through BACKSTOP_NOTIFY_RETRY_*).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startHttpReceiver, type HttpReceiver } from '../support/notify-receiver';
import { problemOf } from '../support/problem';
import { historyJson, decodedPayloads, recordHistory } from '../support/history';
import { waitFor } from '../support/wait';
import type { NotificationMessage } from '../../contract/notifications';
import type { components } from '../../contract/generated/api-schema';

jest.setTimeout(400_000);

type Channel = components['schemas']['NotificationChannel'];
type Rule = components['schemas']['NotificationRule'];
type RunNotification = components['schemas']['RunNotification'];

const SECRET = `tok-${randomBytes(9).toString('hex')}`;

let pg: Postgres;
let stack: Stack;
let receiver: HttpReceiver;
let work: string;
let data: string;
/** Paths of the receiver answered 503 while listed here. */
const down = new Set<string>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-notify-'));
  data = join(work, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'file.txt'), 'notify me\n');
  receiver = await startHttpReceiver();
  receiver.answer = ({ path }) => {
    if (down.has(path)) return { status: 503, body: 'down for maintenance' };
    if (path === '/refuse') return { status: 404, body: 'no such hook' };
    return { status: 200, body: `ok ${path}` };
  };
  pg = await startPostgres();
  stack = await startStack({
    databaseUrl: pg.url,
    env: {
      BACKSTOP_NOTIFY_RETRY_INITIAL_MS: '300',
      BACKSTOP_NOTIFY_RETRY_MAX_MS: '1000',
      // The health watch looks often; agents heartbeat often (every second, the least the API takes:
      // unreachable after 3 s); an hourly job is stale after 0.0005 intervals without a success (1.8 s).
      BACKSTOP_NOTIFY_WATCH_MS: '300',
      BACKSTOP_AGENT_HEARTBEAT_MS: '1000',
      BACKSTOP_STALE_AFTER_INTERVALS: '0.0005',
      // Every restore waits for an operator: restore.awaiting_approval.
      BACKSTOP_RESTORE_APPROVAL: 'always',
      BACKSTOP_RESTORE_ROOTS: work,
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  await receiver?.close();
});

const createChannel = (name: string, path: string, secrets?: Record<string, string>) =>
  stack.api.request<Channel>('POST', '/v1/notification-channels', { name, kind: 'webhook', settings: { url: `${receiver.url}${path}` }, ...(secrets ? { secrets } : {}) });
const createRule = (rule: Record<string, unknown>) => stack.api.request<Rule>('POST', '/v1/notification-rules', rule);
const notificationsOf = async (runId: string) => (await stack.api.request<{ notifications?: RunNotification[] }>('GET', `/v1/runs/${runId}`)).notifications ?? [];
/** The messages the receiver took at `path`. */
const messagesAt = (path: string) => receiver.requests.filter((r) => r.path === path && r.answeredWith < 300).map((r) => JSON.parse(r.body) as NotificationMessage);

/** Waits until every delivery of the run is delivered, and returns them. */
async function delivered(runId: string, count: number): Promise<RunNotification[]> {
  return waitFor(`${count} delivered notifications of run ${runId}`, async () => {
    const n = await notificationsOf(runId);
    return n.length === count && n.every((d) => d.status === 'delivered') ? n : null;
  });
}

async function backup(name: string, repositoryId: number, paths: string[]) {
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId, paths });
  return job;
}

describe('notification rules on real runs', () => {
  it('send a failing and a succeeding backup to the channels whose scope and events match, each once', async () => {
    const repoOk = await stack.api.createRepository({ name: 'notify-ok', url: join(work, 'repo-ok'), password: 'notify-ok-pass' });
    const repoBad = await stack.api.createRepository({ name: 'notify-bad', url: join(work, 'repo-bad'), password: 'notify-bad-pass' });
    const jobOk = await backup('notify-ok', repoOk.id, [data]);
    const jobBad = await backup('notify-bad', repoBad.id, [join(work, 'nope')]);

    const everyFailure = await createChannel('every-failure', '/global', { headers: `Authorization: Bearer ${SECRET}` });
    const okJob = await createChannel('ok-job', '/job');
    const badRepo = await createChannel('bad-repo', '/repo');
    const unrelated = await createChannel('unrelated', '/other');
    await createRule({ channelId: everyFailure.id, scope: 'global', events: ['run.failed'] });
    await createRule({ channelId: okJob.id, scope: 'job', jobId: jobOk.id, events: ['run.started', 'run.succeeded'] });
    await createRule({ channelId: badRepo.id, scope: 'repository', repositoryId: repoBad.id, events: ['run.failed', 'run.succeeded'] });
    // A second rule to the same channel: still one message per event.
    await createRule({ channelId: badRepo.id, scope: 'job', jobId: jobBad.id, events: ['run.failed'] });
    await createRule({ channelId: unrelated.id, scope: 'job', jobId: jobOk.id, events: ['run.failed', 'run.warning'] });

    const ok = await stack.api.runJob(jobOk.id);
    const bad = await stack.api.runJob(jobBad.id);
    expect((await stack.api.waitForRun(ok.runId, { timeoutMs: 300_000 })).status).toBe('succeeded');
    expect((await stack.api.waitForRun(bad.runId, { timeoutMs: 300_000 })).status).toBe('failed');

    const okDeliveries = await delivered(ok.runId, 2);
    expect(okDeliveries.map((d) => [d.channelName, d.event]).sort()).toEqual([
      ['ok-job', 'run.started'],
      ['ok-job', 'run.succeeded'],
    ]);
    expect(okDeliveries.every((d) => d.attempts === 1 && d.lastError === null && d.deliveredAt !== null)).toBe(true);
    const badDeliveries = await delivered(bad.runId, 2);
    expect(badDeliveries.map((d) => [d.channelName, d.event]).sort()).toEqual([
      ['bad-repo', 'run.failed'],
      ['every-failure', 'run.failed'],
    ]);

    // Every delivery of both runs is delivered: nothing else is on its way.
    expect(messagesAt('/other')).toEqual([]);
    const [failure] = messagesAt('/global');
    expect(messagesAt('/global')).toHaveLength(1);
    expect(failure).toMatchObject({
      event: 'run.failed',
      severity: 'error',
      title: 'Backup of job notify-bad on local failed',
      run: { id: bad.runId, status: 'failed', jobId: jobBad.id, jobName: 'notify-bad', repositoryId: repoBad.id },
      job: { id: jobBad.id, name: 'notify-bad' },
      repository: { id: repoBad.id, name: 'notify-bad' },
    });
    expect(failure!.run!.failureReason).toContain('source path does not exist');
    expect(messagesAt('/repo').map((m) => [m.event, m.run?.id])).toEqual([['run.failed', bad.runId]]);
    expect(messagesAt('/job').map((m) => m.event).sort()).toEqual(['run.started', 'run.succeeded']);
    expect(messagesAt('/job').every((m) => m.run?.id === ok.runId)).toBe(true);

    // The channel's secret never leaves the catalog sealed: not in answers, not in history.
    const answers = JSON.stringify([
      await stack.api.request('GET', '/v1/notification-channels'),
      await stack.api.request('GET', `/v1/notification-channels/${everyFailure.id}`),
      await stack.api.request('PATCH', `/v1/notification-channels/${everyFailure.id}`, { name: 'every-failure-renamed' }),
      await stack.api.request('GET', `/v1/runs/${bad.runId}`),
    ]);
    expect(answers).not.toContain(SECRET);
    expect(everyFailure.secretFields).toEqual(['headers']);
    // It went where it belongs: to the receiver, in the header the channel was given.
    expect(receiver.requests.find((r) => r.path === '/global')?.headers.authorization).toBe(`Bearer ${SECRET}`);
    for (const workflowId of [`notify/${bad.runId}/run.failed/${everyFailure.id}`, bad.workflowId]) {
      const history = await historyJson(stack.temporalAddress, workflowId);
      expect(history).not.toContain(SECRET);
      expect(decodedPayloads(history)).not.toContain(SECRET);
      // `RECORD_HISTORIES=1` refreshes the delivery's history for the replay test.
      if (workflowId.startsWith('notify/')) recordHistory('notification-delivery-delivered', history);
    }
    const sealed = await stack.catalog.db.query<{ secrets_sealed: string }>('SELECT secrets_sealed FROM notification_channels WHERE id = $1', [everyFailure.id]);
    expect(sealed.rows[0]!.secrets_sealed).not.toContain(SECRET);
  });

  it('leave the run as it ended while the receiver is down, show the failed attempts, and deliver once it is back', async () => {
    const repo = await stack.api.createRepository({ name: 'notify-flaky', url: join(work, 'repo-flaky'), password: 'flaky-pass' });
    const job = await backup('notify-flaky', repo.id, [data]);
    const flaky = await createChannel('flaky', '/flaky');
    await createRule({ channelId: flaky.id, scope: 'repository', repositoryId: repo.id, events: ['run.succeeded'] });
    down.add('/flaky');

    const { runId } = await stack.api.runJob(job.id);
    const run = await stack.api.waitForRun(runId, { timeoutMs: 300_000 });
    expect(run.status).toBe('succeeded');
    expect(run.failureReason).toBeNull();

    const failing = await waitFor('failed attempts on the run', async () => {
      const [n] = await notificationsOf(runId);
      return n && n.attempts >= 2 ? n : null;
    });
    expect(failing).toMatchObject({ channelId: flaky.id, channelName: 'flaky', event: 'run.succeeded', status: 'pending', deliveredAt: null });
    expect(failing.lastError).toContain('503');
    expect(messagesAt('/flaky')).toEqual([]);

    down.delete('/flaky');
    const [done] = await delivered(runId, 1);
    expect(done!.attempts).toBeGreaterThan(failing.attempts);
    expect(messagesAt('/flaky').map((m) => [m.event, m.run?.id])).toEqual([['run.succeeded', runId]]);
    // The run itself is as it was.
    expect(await stack.api.getRun(runId)).toMatchObject({ status: 'succeeded', failureReason: null, warnings: [] });
  });

  it('raise prune.failed for a failed prune, to the rules of its repository', async () => {
    const repo = await stack.api.createRepository({ name: 'notify-prune', url: join(work, 'repo-prune'), password: 'prune-pass' });
    const channel = await createChannel('prune-watch', '/prune');
    await createRule({ channelId: channel.id, scope: 'repository', repositoryId: repo.id, events: ['prune.failed', 'run.failed', 'run.succeeded'] });
    // The repository is gone from under the catalog: the prune cannot open it.
    rmSync(join(work, 'repo-prune'), { recursive: true, force: true });
    const { runId } = await stack.api.request<{ runId: string }>('POST', `/v1/repositories/${repo.id}/prune`);
    expect((await stack.api.waitForRun(runId, { timeoutMs: 300_000 })).status).toBe('failed');
    const [d] = await delivered(runId, 1);
    expect(d).toMatchObject({ channelName: 'prune-watch', event: 'prune.failed' });
    expect(messagesAt('/prune')).toEqual([expect.objectContaining({ event: 'prune.failed', title: 'Prune of repository notify-prune failed', repository: { id: repo.id, name: 'notify-prune' } })]);
  });

  it('tell the job rules when a restore of its snapshot waits for approval', async () => {
    const repo = await stack.api.createRepository({ name: 'notify-restore', url: join(work, 'repo-restore'), password: 'restore-pass' });
    const job = await backup('notify-restore', repo.id, [data]);
    const backedUp = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 300_000 });
    expect(backedUp.status).toBe('succeeded');
    const channel = await createChannel('restore-watch', '/approval');
    await createRule({ channelId: channel.id, scope: 'job', jobId: job.id, events: ['restore.awaiting_approval', 'run.started'] });

    const { runId } = await stack.api.restoreSnapshot(backedUp.snapshotId!, { target: join(work, 'restore-out') });
    const waiting = await waitFor('a restore.awaiting_approval message', async () => messagesAt('/approval').find((m) => m.event === 'restore.awaiting_approval'));
    expect(waiting).toMatchObject({ severity: 'warning', title: 'Restore of job notify-restore on local is waiting for approval', run: { id: runId, kind: 'restore', status: 'awaiting-approval' } });
    expect(waiting.text).toContain(`/v1/runs/${runId}/approve`);
    await stack.api.rejectRun(runId, 'not now');
    expect((await stack.api.waitForRun(runId, { timeoutMs: 120_000 })).status).toBe('cancelled');
    // Started and waiting; a rejected (cancelled) restore raises nothing more.
    expect((await delivered(runId, 2)).map((d) => d.event).sort()).toEqual(['restore.awaiting_approval', 'run.started']);
  });
});

describe('notification channels API', () => {
  it('reports the receiver answer from the test button, a 502 when it is down and a 400 when it refuses', async () => {
    const ok = await createChannel('button', '/button');
    expect(await stack.api.request('POST', `/v1/notification-channels/${ok.id}/test`)).toEqual({ status: 200, detail: 'ok /button' });
    const [message] = messagesAt('/button');
    expect(message).toMatchObject({ event: 'test', title: 'Backstop test notification', run: null });

    down.add('/button');
    const unavailable = await problemOf(stack.api.request('POST', `/v1/notification-channels/${ok.id}/test`));
    expect(unavailable.status).toBe(502);
    expect(unavailable.problem).toMatchObject({ type: 'DeliveryError' });
    expect(unavailable.problem?.detail).toContain('503');
    down.delete('/button');

    const refusing = await createChannel('refusing', '/refuse');
    const refused = await problemOf(stack.api.request('POST', `/v1/notification-channels/${refusing.id}/test`));
    expect(refused.status).toBe(400);
    expect(refused.problem?.detail).toContain('404');
  });

  it('refuses bad channels and rules with a 400 naming the field, and stores nothing of them', async () => {
    const before = (await stack.api.request<{ items: Channel[] }>('GET', '/v1/notification-channels')).items.length;
    const badUrl = await problemOf(stack.api.request('POST', '/v1/notification-channels', { name: 'bad-url', kind: 'webhook', settings: { url: 'ftp://nowhere' } }));
    expect(badUrl.status).toBe(400);
    expect(badUrl.problem?.detail).toContain('settings.url');
    const badKind = await problemOf(stack.api.request('POST', '/v1/notification-channels', { name: 'bad-kind', kind: 'pager', settings: {} }));
    expect(badKind.status).toBe(400);
    const secretOut = await problemOf(stack.api.request('POST', '/v1/notification-channels', { name: 'no-secrets', kind: 'webhook', settings: { url: `${receiver.url}/x` }, secrets: { token: 7 } }));
    expect(secretOut.status).toBe(400);
    expect((await stack.api.request<{ items: Channel[] }>('GET', '/v1/notification-channels')).items).toHaveLength(before);

    const channel = await createChannel('rules-target', '/rules');
    const noJob = await problemOf(createRule({ channelId: channel.id, scope: 'job', events: ['run.failed'] }));
    expect(noJob.status).toBe(400);
    expect(noJob.problem?.detail).toContain('jobId');
    const extraId = await problemOf(createRule({ channelId: channel.id, scope: 'global', repositoryId: 1, events: ['run.failed'] }));
    expect(extraId.status).toBe(400);
    expect(extraId.problem?.detail).toContain('repositoryId');
    const unknownJob = await problemOf(createRule({ channelId: channel.id, scope: 'job', jobId: 999_999, events: ['run.failed'] }));
    expect(unknownJob.status).toBe(400);
    expect(unknownJob.problem?.detail).toContain('jobId');
    const noEvents = await problemOf(createRule({ channelId: channel.id, scope: 'global', events: [] }));
    expect(noEvents.status).toBe(400);
    const testEvent = await problemOf(createRule({ channelId: channel.id, scope: 'global', events: ['test'] }));
    expect(testEvent.status).toBe(400);
    expect((await stack.api.request<{ items: Rule[] }>('GET', `/v1/notification-rules?channelId=${channel.id}`)).items).toEqual([]);

    // Secrets: set one, remove it; the answer names only what is set.
    const withSecret = await stack.api.request<Channel>('PATCH', `/v1/notification-channels/${channel.id}`, { secrets: { headers: `Authorization: Bearer ${SECRET}` } });
    expect(withSecret.secretFields).toEqual(['headers']);
    expect(JSON.stringify(withSecret)).not.toContain(SECRET);
    const without = await stack.api.request<Channel>('PATCH', `/v1/notification-channels/${channel.id}`, { secrets: { headers: null } });
    expect(without.secretFields).toEqual([]);

    const rule = await createRule({ channelId: channel.id, scope: 'global', events: ['run.failed'] });
    expect(rule).toMatchObject({ scope: 'global', jobId: null, repositoryId: null, events: ['run.failed'] });
    await stack.api.request('DELETE', `/v1/notification-channels/${channel.id}`);
    expect((await problemOf(stack.api.request('GET', `/v1/notification-rules/${rule.id}`))).status).toBe(404);
  });
});

/** When the health watch last looked at `subject` ('job:<id>', 'agent:<name>'), and what it saw. */
async function watched(subject: string): Promise<{ bad: boolean; checkedAt: number } | null> {
  const { rows } = await stack.catalog.db.query<{ bad: boolean; checked_at: Date }>('SELECT bad, checked_at FROM notification_watch WHERE subject = $1', [subject]);
  return rows[0] ? { bad: rows[0].bad, checkedAt: rows[0].checked_at.getTime() } : null;
}

/** Waits for two more looks of the watch at `subject` after now. */
async function twoMoreLooks(subject: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const before = (await watched(subject))?.checkedAt ?? 0;
    await waitFor(`another look at ${subject}`, async () => ((await watched(subject))?.checkedAt ?? 0) > before);
  }
}

const deliveriesOf = async (event: string, channelId: number) =>
  (await stack.catalog.db.query<{ id: string }>('SELECT id FROM notification_deliveries WHERE event = $1 AND channel_id = $2', [event, channelId])).rows.length;

// Last in the file: it kills the agent.
describe('health watch', () => {
  it('raises job.stale once per stale spell of a scheduled job', async () => {
    const repo = await stack.api.createRepository({ name: 'notify-stale', url: join(work, 'repo-stale'), password: 'stale-pass' });
    const job = await backup('notify-stale', repo.id, [data]);
    const channel = await createChannel('stale-jobs', '/stale');
    await createRule({ channelId: channel.id, scope: 'job', jobId: job.id, events: ['job.stale'] });
    // Hourly: it does not fire during the test; stale 1.8 s after creation without a success.
    await stack.api.request('PUT', `/v1/jobs/${job.id}/schedule`, { intervals: [{ everySeconds: 3600 }] });

    const [first] = await waitFor('a job.stale message', async () => (messagesAt('/stale').length > 0 ? messagesAt('/stale') : null));
    expect(first).toMatchObject({ event: 'job.stale', severity: 'warning', run: null, job: { id: job.id, name: 'notify-stale' }, repository: { id: repo.id, name: 'notify-stale' } });
    await twoMoreLooks(`job:${job.id}`);
    expect(await deliveriesOf('job.stale', channel.id)).toBe(1);

    // A success makes it fresh; 1.8 s later it is stale again: a second spell, a second message.
    expect((await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 300_000 })).status).toBe('succeeded');
    await waitFor('a second job.stale message', async () => messagesAt('/stale').length === 2);
    await twoMoreLooks(`job:${job.id}`);
    expect(await deliveriesOf('job.stale', channel.id)).toBe(2);
    await stack.api.request('DELETE', `/v1/jobs/${job.id}/schedule`);
  });

  it('raises agent.unreachable once each time the agent goes away', async () => {
    const channel = await createChannel('agents', '/agents');
    await createRule({ channelId: channel.id, scope: 'global', events: ['agent.unreachable'] });
    await waitFor('the agent seen reachable', async () => (await watched('agent:local'))?.bad === false);

    await stack.kill9('agent');
    const [first] = await waitFor('an agent.unreachable message', async () => (messagesAt('/agents').length > 0 ? messagesAt('/agents') : null));
    expect(first).toMatchObject({ event: 'agent.unreachable', severity: 'error', run: null, agent: { name: 'local' }, title: 'Agent local is unreachable' });
    await twoMoreLooks('agent:local');
    expect(await deliveriesOf('agent.unreachable', channel.id)).toBe(1);

    await stack.start('agent');
    await waitFor('the agent seen reachable again', async () => (await watched('agent:local'))?.bad === false);
    await stack.kill9('agent');
    await waitFor('a second agent.unreachable message', async () => messagesAt('/agents').length === 2);
    expect(await deliveriesOf('agent.unreachable', channel.id)).toBe(2);
  });
});
