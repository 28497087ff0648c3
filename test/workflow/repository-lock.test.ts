// The repository lock on the time-skipping test server: shared holders together,
// exclusive against shared both ways, strict FIFO, a cancelled waiter withdrawing its
// request, a terminated holder dropped, and state carried across continue-as-new. The
// lock activities are the real ones, talking to the test server.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows, startTimeSkipping } from './support/time-skipping';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { createLockActivities } from '../../activities/maintenance/lock';
import { createLogger } from '../../core/logger';
import { SERVER_TASK_QUEUE, repositoryLockWorkflowId } from '../../core/names';
import { grantable, lockStateQuery, type LockMode, type LockRequest, type LockState } from '../../workflows/repository-lock';
import { finishSignal, holderStateQuery, lockHolderWorkflow, type HolderState } from './support/lock-holder';

jest.setTimeout(180_000);
// Known flake, not of the lock: in about 1 of 6 runs of this file the time-skipping test
// server drops the worker's connection ("excess pings") during the long idle sleep and the
// test hangs until its timeout. A retry starts the scenario on a fresh repository id.
jest.retryTimes(2, { logErrorsBeforeRetry: true });

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let worker: Worker;
let running: Promise<void>;
let nextRepo = 100;


beforeAll(async () => {
  env = await startTimeSkipping();
  bundle = await bundleWorkflows(require.resolve('./support/lock-holder'));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: bundle,
    activities: createLockActivities({ client: env.client, logger: createLogger('test', 'silent') }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

type Holder = WorkflowHandle<typeof lockHolderWorkflow>;

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function hold(repositoryId: number, name: string, mode: LockMode): Promise<Holder> {
  return env.client.workflow.start(lockHolderWorkflow, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId: `holder/${repositoryId}/${name}`,
    args: [{ repositoryId, mode }],
  });
}

const stateOf = (h: Holder) => h.query(holderStateQuery);
const reach = (h: Holder, state: HolderState) => until(`${h.workflowId} ${state}`, () => stateOf(h), (s) => s === state);
const lockState = (repositoryId: number) => env.client.workflow.getHandle(repositoryLockWorkflowId(repositoryId)).query(lockStateQuery);
const names = (rs: LockRequest[]) => rs.map((r) => r.holderId.split('/').pop());
/** Waits until the lock workflow shows exactly these holders and waiters. */
const lockIs = (repositoryId: number, holders: string[], waiting: string[]) =>
  until(
    `lock ${repositoryId}: holders ${holders} waiting ${waiting}`,
    () => lockState(repositoryId),
    (s: LockState) => JSON.stringify([names(s.holders).sort(), names(s.waiting)]) === JSON.stringify([[...holders].sort(), waiting]),
  );

async function finish(h: Holder): Promise<void> {
  await h.signal(finishSignal);
  expect(await h.result()).toBe('released');
}

describe('grantable (FIFO rule)', () => {
  const r = (requestId: string, mode: LockMode): LockRequest => ({ holderId: requestId, holderRunId: 'r', requestId, mode });
  it.each<[string, LockRequest[], LockRequest[], number]>([
    ['shared joins shared holders', [r('a', 'shared')], [r('b', 'shared'), r('c', 'shared')], 2],
    ['exclusive waits for shared holders', [r('a', 'shared')], [r('b', 'exclusive')], 0],
    ['shared waits for an exclusive holder', [r('a', 'exclusive')], [r('b', 'shared')], 0],
    ['exclusive on a free lock, alone', [], [r('a', 'exclusive'), r('b', 'shared')], 1],
    ['shared behind a waiting exclusive waits', [], [r('a', 'shared'), r('b', 'exclusive'), r('c', 'shared')], 1],
  ])('%s', (_name, holders, waiting, n) => {
    expect(grantable(holders, waiting)).toBe(n);
  });
});

describe('RepositoryLockWorkflow', () => {
  it('lets shared holders in together and an exclusive one after both left', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'shared');
    const b = await hold(repo, 'b', 'shared');
    await reach(a, 'held');
    await reach(b, 'held');
    const c = await hold(repo, 'c', 'exclusive');
    await reach(c, 'waiting');
    await lockIs(repo, ['a', 'b'], ['c']);

    await finish(a);
    await lockIs(repo, ['b'], ['c']);
    expect(await stateOf(c)).toBe('waiting');

    await finish(b);
    await reach(c, 'held');
    await lockIs(repo, ['c'], []);
    await finish(c);
    await lockIs(repo, [], []);
  });

  it('serves requests in arrival order: a shared request behind a waiting exclusive one waits', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'exclusive');
    await reach(a, 'held');
    const b = await hold(repo, 'b', 'shared');
    await lockIs(repo, ['a'], ['b']);
    const c = await hold(repo, 'c', 'exclusive');
    await lockIs(repo, ['a'], ['b', 'c']);
    const d = await hold(repo, 'd', 'shared');
    await lockIs(repo, ['a'], ['b', 'c', 'd']);

    await finish(a);
    await reach(b, 'held');
    // d is compatible with b but arrived after c: it must not overtake the exclusive request.
    await lockIs(repo, ['b'], ['c', 'd']);
    expect(await stateOf(d)).toBe('waiting');

    await finish(b);
    await reach(c, 'held');
    await lockIs(repo, ['c'], ['d']);

    await finish(c);
    await reach(d, 'held');
    await finish(d);
  });

  it('withdraws the request of a holder cancelled while it waits', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'exclusive');
    await reach(a, 'held');
    const b = await hold(repo, 'b', 'exclusive');
    await lockIs(repo, ['a'], ['b']);
    const c = await hold(repo, 'c', 'shared');
    await lockIs(repo, ['a'], ['b', 'c']);

    await b.cancel();
    await expect(b.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await lockIs(repo, ['a'], ['c']);

    await finish(a);
    await reach(c, 'held');
    await finish(c);
  });

  it('releases a held lock when its holder is cancelled', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'shared');
    await reach(a, 'held');
    const b = await hold(repo, 'b', 'exclusive');
    await lockIs(repo, ['a'], ['b']);
    await a.cancel();
    await expect(a.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await reach(b, 'held');
    await finish(b);
  });

  it('drops a holder terminated without releasing, at the next check of holders', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'exclusive');
    await reach(a, 'held');
    const b = await hold(repo, 'b', 'shared');
    await lockIs(repo, ['a'], ['b']);

    await a.terminate('gone');
    // Still held: the lock only learns of it when it checks its holders.
    expect(names((await lockState(repo)).holders)).toEqual(['a']);
    await env.sleep('2 minutes');
    await reach(b, 'held');
    await lockIs(repo, ['b'], []);
    await finish(b);
  });

  it('carries holders and waiters across continue-as-new', async () => {
    const repo = nextRepo++;
    // Start the lock workflow with a tiny history budget, so it continues as new often.
    await env.client.workflow.start('repositoryLockWorkflow', {
      taskQueue: SERVER_TASK_QUEUE,
      workflowId: repositoryLockWorkflowId(repo),
      args: [{ repositoryId: repo, maxHistoryEvents: 10 }],
    });
    const first = (await env.client.workflow.getHandle(repositoryLockWorkflowId(repo)).describe()).runId;
    const a = await hold(repo, 'a', 'exclusive');
    await reach(a, 'held');
    const holders: Holder[] = [];
    for (const name of ['b', 'c', 'd']) {
      holders.push(await hold(repo, name, 'shared'));
      await lockIs(repo, ['a'], ['b', 'c', 'd'].slice(0, holders.length));
    }
    expect((await env.client.workflow.getHandle(repositoryLockWorkflowId(repo)).describe()).runId).not.toBe(first);

    await finish(a);
    for (const h of holders) await reach(h, 'held');
    for (const h of holders) await finish(h);
    await lockIs(repo, [], []);
  });

  it('ends when idle, and the next request starts it again', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'shared');
    await finish(a);
    const lock = env.client.workflow.getHandle(repositoryLockWorkflowId(repo));
    await lockIs(repo, [], []);
    await env.sleep('11 minutes');
    await until('lock workflow to end', async () => (await lock.describe()).status.name, (s) => s === 'COMPLETED');
    const b = await hold(repo, 'b', 'exclusive');
    await reach(b, 'held');
    expect((await lock.describe()).status.name).toBe('RUNNING');
    await finish(b);
  }, 60_000);
});
