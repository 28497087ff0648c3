// NotificationDeliveryWorkflow on the time-skipping test server, with the real delivery
// activity and the webhook channel posting to a real loopback receiver; only the catalog is
// an in-memory DeliveryStore. The receiver answers by the server's clock, so "down for five
// minutes" is five minutes of skipped time: the retries back off through it and the message
// arrives once the receiver is back, with every attempt recorded.
import { randomBytes } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { timeSkippingSuite } from './support/time-skipping';
import { startHttpReceiver, type HttpReceiver } from '../support/notify-receiver';
import { notificationDeliveryWorkflow } from '../../workflows/notification-delivery';
import { SERVER_TASK_QUEUE } from '../../contract/names';
import { createDeliveryActivities, type DeliveryStore } from '../../activities/server/notify/delivery-activities';
import { DELIVERERS } from '../../activities/server/notify/channels';
import { buildMessage, type MessageFacts } from '../../activities/server/notify/message';
import { channelSecretContext, type AttemptResult, type ChannelRecord, type DeliveryRecord } from '../../catalog/notifications';
import { SecretBox } from '../../core/secrets';
import { createLogger } from '../../core/logger';
import type { DeliveryRetry, NotificationDeliveryResult } from '../../contract/notification-activities';
import type { Run } from '../../contract/model';

jest.setTimeout(120_000);

const suite = timeSkippingSuite(require.resolve('../../workflows'));
const box = SecretBox.fromKey(randomBytes(32));
const SECRET = `hook-token-${randomBytes(6).toString('hex')}`;
const RETRY: DeliveryRetry = { initialIntervalMs: 5_000, maximumIntervalMs: 10 * 60_000, giveUpAfterMs: 24 * 3_600_000, attemptTimeoutMs: 5_000 };

const run: Run = {
  id: '0b6f3a52-7d1e-4c8a-9a35-2f1f6f0d9e41',
  jobId: 7,
  kind: 'backup',
  repositoryId: 3,
  agentName: 'web-1',
  workflowId: 'backup/7/2026-12-03T07:00:00Z',
  status: 'failed',
  snapshotId: null,
  stats: null,
  warnings: [],
  failureReason: 'engine failed on web-1: repository locked',
  details: null,
  startedAt: '2026-12-03T07:00:00.000Z',
  finishedAt: '2026-12-03T07:01:00.000Z',
  cancelledBy: null,
};

interface MemoryDelivery {
  store: DeliveryStore;
  row: DeliveryRecord;
  attempts: AttemptResult[];
  facts: MessageFacts;
}

/** One delivery row and its channel (with a sealed secret), kept in memory as the catalog keeps them. */
function memoryDelivery(url: string, deliveryId: number): MemoryDelivery {
  const channel: ChannelRecord = { id: 2, name: 'ops-hook', kind: 'webhook', settings: { url }, secretFields: ['headers'], createdAt: run.startedAt, updatedAt: run.startedAt };
  const facts: MessageFacts = { event: 'run.failed', occurredAt: run.finishedAt!, run, job: { id: 7, name: 'home' }, repository: { id: 3, name: 'main' } };
  const row: DeliveryRecord = {
    id: deliveryId,
    runId: run.id,
    channelId: channel.id,
    channelName: channel.name,
    event: 'run.failed',
    workflowId: `notify/${run.id}/run.failed/${channel.id}`,
    subject: null,
    occurredAt: run.finishedAt!,
    status: 'pending',
    attempts: 0,
    lastError: null,
    answerStatus: null,
    answerDetail: null,
    lastAttemptAt: null,
    deliveredAt: null,
  };
  const attempts: AttemptResult[] = [];
  const sealed = box.seal(JSON.stringify({ headers: `Authorization: Bearer ${SECRET}` }), channelSecretContext(channel.id));
  const store: DeliveryStore = {
    delivery: (id) => (id === row.id ? Promise.resolve({ ...row }) : Promise.reject(new Error(`no delivery ${id}`))),
    channel: () => Promise.resolve({ channel, secretsSealed: sealed }),
    facts: () => Promise.resolve(facts),
    // As Notifications.recordAttempt: attempts only grow, a delivered row stays delivered.
    recordAttempt: (_id, r) => {
      attempts.push(r);
      if (row.status === 'delivered') return Promise.resolve();
      row.attempts = Math.max(row.attempts, r.attempt);
      row.status = r.outcome === 'retrying' ? 'pending' : r.outcome;
      if (r.outcome === 'delivered') {
        row.answerStatus = r.answer.status;
        row.answerDetail = r.answer.detail;
        row.deliveredAt = new Date().toISOString();
      } else {
        row.lastError = r.error;
      }
      return Promise.resolve();
    },
    // As Notifications.markFailed: the reason, with the last attempt's error beside it.
    markFailed: (_id, reason) => {
      if (row.status === 'pending') {
        row.status = 'failed';
        row.lastError = row.lastError && row.lastError !== reason ? `${reason} (last error: ${row.lastError})` : reason;
      }
      return Promise.resolve();
    },
  };
  return { store, row, attempts, facts };
}

let receiver: HttpReceiver;
let nextDeliveryId = 1;

beforeAll(async () => {
  receiver = await startHttpReceiver();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(() => {
  receiver.requests.length = 0;
});

/** Runs one delivery to its end on a worker of its own; answers the workflow's result and the delivery's record. */
async function deliver(retry: DeliveryRetry): Promise<{ result: NotificationDeliveryResult; d: MemoryDelivery; history: string }> {
  const d = memoryDelivery(`${receiver.url}/hook`, nextDeliveryId++);
  const worker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    maxCachedWorkflows: 0,
    activities: createDeliveryActivities({ store: d.store, secrets: box, deliverers: DELIVERERS, logger: createLogger('test', 'silent') }),
  });
  const workflowId = `${d.row.workflowId}/${d.row.id}`;
  const result = await worker.runUntil(async () => {
    const handle = await suite.env.client.workflow.start(notificationDeliveryWorkflow, { taskQueue: SERVER_TASK_QUEUE, workflowId, args: [{ deliveryId: d.row.id, retry }] });
    // This client skips time while the workflow waits (the retries' backoff).
    return handle.result();
  });
  const history = JSON.stringify(await suite.env.client.workflow.getHandle(workflowId).fetchHistory());
  return { result, d, history };
}

describe('NotificationDeliveryWorkflow', () => {
  it('keeps trying while the receiver is down for five minutes, and delivers once it is back', async () => {
    const backAt = (await suite.env.currentTimeMs()) + 5 * 60_000;
    receiver.answer = async () => ((await suite.env.currentTimeMs()) < backAt ? { status: 503, body: 'down for maintenance' } : { status: 202, body: 'accepted' });

    const { result, d, history } = await deliver(RETRY);

    expect(result).toEqual({ status: 'delivered' });
    // Exactly one message got through, the message the event is, as JSON.
    expect(receiver.accepted()).toEqual([JSON.parse(JSON.stringify(buildMessage(d.facts)))]);
    const refused = receiver.requests.filter((r) => r.answeredWith === 503);
    // 5 s doubling: attempts at 0, 5, 15, 35, 75, 155 s are refused, the one at 315 s gets through.
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(d.row).toMatchObject({ status: 'delivered', attempts: refused.length + 1, answerStatus: 202, answerDetail: 'accepted', lastError: expect.stringContaining('503') });
    expect(d.attempts.filter((a) => a.outcome === 'retrying')).toHaveLength(refused.length);
    // The channel's secret was opened inside the activity only, and went to the receiver alone.
    expect(receiver.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(history).not.toContain(SECRET);
  });

  it('records a refusal at once, without retrying', async () => {
    receiver.answer = () => ({ status: 410, body: 'gone' });
    const { result, d } = await deliver(RETRY);
    expect(result).toEqual({ status: 'failed' });
    expect(receiver.requests).toHaveLength(1);
    expect(d.row).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('410') });
  });

  it('gives up after its time is up, recorded as failed with the last error', async () => {
    receiver.answer = () => ({ status: 503, body: 'still down' });
    const { result, d } = await deliver({ ...RETRY, giveUpAfterMs: 10 * 60_000 });
    expect(result).toEqual({ status: 'failed' });
    expect(receiver.accepted()).toEqual([]);
    expect(d.row.status).toBe('failed');
    expect(d.row.attempts).toBeGreaterThan(1);
    expect(d.row.lastError).toMatch(/^gave up after 10 min of retries \(last error: .*503/);
  });
});
