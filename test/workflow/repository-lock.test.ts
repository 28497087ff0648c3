// The repository lock on the time-skipping test server: shared holders together,
// exclusive against shared both ways, strict FIFO, a cancelled waiter withdrawing its
// request, a terminated holder dropped, and state carried across continue-as-new. The
// lock activities are the real ones, talking to the test server.
//
// Time moves only where a test skips it (`suite.skip`): handles come from the steady
// client, whose result() waits in real time. Letting the server skip time on its own
// while a holder waits is what hung this file (see support/time-skipping.ts).
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { timeSkippingSuite } from './support/time-skipping';
import { waitFor } from '../support/wait';
import { SERVER_TASK_QUEUE, repositoryLockWorkflowId } from '../../contract/names';
import { grantable, lockStateQuery } from '../../workflows/repository-lock';
import type { LockMode, LockRequest, LockState } from '../../contract/repository-lock';
import { finishSignal, holderStateQuery, lockHolderWorkflow, type HolderState } from './support/lock-holder';

jest.setTimeout(120_000);

/**
 * The lock checks its holders every 90 s here, not every 60 s: a waiting holder asks again
 * every minute, and a check that comes due with that minute would grant (and cancel the
 * holder's timer) just as the timer fires — the test server's hang. 90 s keeps the first
 * check 30 s away from any holder's minute.
 */
const CHECK_HOLDERS_EVERY_MS = 90_000;
/** The workflow's default idle exit, as production runs it. */
const IDLE_EXIT_MS = 10 * 60_000;

const suite = timeSkippingSuite(require.resolve('./support/lock-holder'));
let worker: Worker;
let running: Promise<void>;
let nextRepo = 100;

beforeAll(async () => {
  worker = await Worker.create({
    connection: suite.env.nativeConnection,
    taskQueue: SERVER_TASK_QUEUE,
    workflowBundle: suite.bundle,
    activities: suite.lockActivities({ checkHoldersEveryMs: CHECK_HOLDERS_EVERY_MS, idleExitMs: IDLE_EXIT_MS }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
});

type Holder = WorkflowHandle<typeof lockHolderWorkflow>;

/** Polls `fn` until `ok` holds for what it returns. */
const until = <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> =>
  waitFor(what, async () => {
    const v = await fn();
    return ok(v) ? { v } : undefined;
  }, 60_000, 50).then((r) => r.v);

async function hold(repositoryId: number, name: string, mode: LockMode): Promise<Holder> {
  return suite.steady.workflow.start(lockHolderWorkflow, {
    taskQueue: SERVER_TASK_QUEUE,
    workflowId: `holder/${repositoryId}/${name}`,
    args: [{ repositoryId, mode }],
  });
}

const stateOf = (h: Holder) => h.query(holderStateQuery);
const reach = (h: Holder, state: HolderState) => until(`${h.workflowId} ${state}`, () => stateOf(h), (s) => s === state);
const lockState = (repositoryId: number) => suite.steady.workflow.getHandle(repositoryLockWorkflowId(repositoryId)).query(lockStateQuery);
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
    // Past the lock's next check of its holders (one 90 s period).
    await suite.skip(CHECK_HOLDERS_EVERY_MS + 10_000);
    await reach(b, 'held');
    await lockIs(repo, ['b'], []);
    await finish(b);
  });

  it('carries holders and waiters across continue-as-new', async () => {
    const repo = nextRepo++;
    // Start the lock workflow with a tiny history budget, so it continues as new often.
    await suite.steady.workflow.start('repositoryLockWorkflow', {
      taskQueue: SERVER_TASK_QUEUE,
      workflowId: repositoryLockWorkflowId(repo),
      args: [{ repositoryId: repo, maxHistoryEvents: 10, checkHoldersEveryMs: CHECK_HOLDERS_EVERY_MS, idleExitMs: IDLE_EXIT_MS }],
    });
    const first = (await suite.steady.workflow.getHandle(repositoryLockWorkflowId(repo)).describe()).runId;
    const a = await hold(repo, 'a', 'exclusive');
    await reach(a, 'held');
    const holders: Holder[] = [];
    for (const name of ['b', 'c', 'd']) {
      holders.push(await hold(repo, name, 'shared'));
      await lockIs(repo, ['a'], ['b', 'c', 'd'].slice(0, holders.length));
    }
    expect((await suite.steady.workflow.getHandle(repositoryLockWorkflowId(repo)).describe()).runId).not.toBe(first);

    await finish(a);
    for (const h of holders) await reach(h, 'held');
    for (const h of holders) await finish(h);
    await lockIs(repo, [], []);
  });

  it('ends when idle, and the next request starts it again', async () => {
    const repo = nextRepo++;
    const a = await hold(repo, 'a', 'shared');
    await finish(a);
    const lock = suite.steady.workflow.getHandle(repositoryLockWorkflowId(repo));
    await lockIs(repo, [], []);
    await suite.skip(IDLE_EXIT_MS + 60_000);
    await until('lock workflow to end', async () => (await lock.describe()).status.name, (s) => s === 'COMPLETED');
    const b = await hold(repo, 'b', 'exclusive');
    await reach(b, 'held');
    expect((await lock.describe()).status.name).toBe('RUNNING');
    await finish(b);
  });
});
