// The time-skipping test server and a workflow bundle, as every workflow test file starts
// them: the server binary from .tools (never the SDK's download), a bundler that is quiet.
//
// One rule keeps these tests deterministic. The time-skipping server refuses a workflow
// task that cancels a timer which fired while the task was with the worker ("invalid
// history builder state for action", temporalio/sdk-java#2606 and #3088, both open): it
// never times that task out nor sends it again, so the run hangs and, since an open
// workflow task holds the clock, time skipping stops for every later test of the file.
// A timer fires under a task that way when it falls due a moment after another one: the
// skip lands on the first, and the second comes due at the server's real pace while the
// first one's consequences (a signal to the second workflow) are being worked. Backstop's
// repository lock is where that happens: the lock workflow checks its holders every 60 s,
// a waiting holder asks again every minute, and a grant cancels the holder's timer.
// Hence:
// - test files that are not about the lock run it through `lockActivities()`, whose lock
//   workflows keep their timers far beyond any time the tests skip: they never fire there;
// - the lock's own test (repository-lock.test.ts) drives time only by explicit `skip()`,
//   through a `steady` client whose `result()` never moves the clock, and gives the lock a
//   holder check that never comes due together with a holder's minute (see there).
import { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleOption } from '@temporalio/worker';
import { createLockActivities, type LockDeps } from '../../../activities/server/lock-activities';
import { createLogger } from '../../../core/logger';
import { toolPath } from '../../support/tools';
import { SearchAttribute } from '../../../contract/names';
import { workflowBundle } from './bundles';

const KEYWORD = 2;

/** Far beyond the longest skip of any workflow test (the restore approval timeout, 24 h). */
const INERT_MS = 30 * 24 * 3_600_000;

/**
 * Worker and server messages at WARN and above only: the worker's state changes at INFO
 * drown a failing test's output. Installed once per process (jest runs the files of a
 * project in one process with --runInBand); a second install throws, which is fine.
 */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' } } } });
  } catch {
    // Already installed for this process.
  }
}

/**
 * Workflow cache of a test's server worker when the workflows under test run local
 * activities (the backup's bookkeeping). Other tests run with no cache at all (no sticky
 * queues), but with a zero cache sdk-core 1.24 evicts a run while its local activities'
 * results are still on their way to the workflow and replays it over and over ("There
 * should not be any outgoing commands … if the activation was only an eviction. This is an
 * SDK bug.", fixed upstream by temporalio/sdk-rust#1482). A small cache instead, with a
 * short sticky timeout: a task meant for the sticky queue of an earlier scenario's worker,
 * now shut down, goes back to the shared queue within a second.
 */
export const LOCAL_ACTIVITY_CACHE = { maxCachedWorkflows: 20, stickyQueueScheduleToStartTimeout: '1s' } as const;

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
  });
  // Workflows upsert Backstop's search attributes; the test server knows only those it is
  // told of. 2 is IndexedValueType KEYWORD (the proto package is not a direct dependency).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(SearchAttribute).map((name) => [name, KEYWORD])),
  });
  return env;
}

export interface TimeSkippingSuite {
  readonly env: TestWorkflowEnvironment;
  /** The workflows of `workflowsPath`, bundled once per run (support/bundles.ts). */
  readonly bundle: WorkflowBundleOption;
  /** A client whose `result()` waits in real time: the clock moves only through `skip()`. */
  readonly steady: Client;
  /**
   * The real lock activities, talking to this server. By default the lock workflows they
   * start keep their timers out of reach (see the header); `timings` sets them.
   */
  lockActivities(timings?: LockDeps['lockTimings']): ReturnType<typeof createLockActivities>;
  /** Moves the server's clock forward by `duration`, firing the timers due on the way. */
  skip(duration: Duration): Promise<void>;
}

/**
 * One time-skipping server and the bundle of `workflowsPath` (a module exporting the
 * workflows under test) for a whole test file: registers the file's beforeAll/afterAll and
 * hands both out once they exist.
 */
export function timeSkippingSuite(workflowsPath: string): TimeSkippingSuite {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleOption | undefined;
  let steady: Client | undefined;
  beforeAll(async () => {
    env = await startTimeSkipping();
    bundle = await workflowBundle(workflowsPath);
    steady = new Client({ connection: env.connection, namespace: env.namespace });
  });
  afterAll(async () => {
    // Closes the client connection (shared by `steady`) and the workers' native connection.
    await env?.teardown();
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (!v) throw new Error(`${what} is not ready yet (use it inside a test or hook)`);
    return v;
  };
  return {
    get env() {
      return started(env, 'the time-skipping server');
    },
    get bundle() {
      return started(bundle, 'the workflow bundle');
    },
    get steady() {
      return started(steady, 'the steady client');
    },
    lockActivities(timings = { checkHoldersEveryMs: INERT_MS, idleExitMs: INERT_MS }) {
      return createLockActivities({ client: started(env, 'the time-skipping server').client, logger: createLogger('test', 'silent'), lockTimings: timings });
    },
    skip(duration) {
      return started(env, 'the time-skipping server').sleep(duration);
    },
  };
}
