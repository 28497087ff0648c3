import type { ApiRun } from '../core/api-client';
import { CHECK_USAGE, runCheck } from './check';

const accepted = { runId: 'r-1', workflowId: 'check/repository-7/2026-12-03T01:00:00Z', status: 'queued' as const };
const runWith = (status: ApiRun['status']) => ({ id: 'r-1', kind: 'check', status, failureReason: status === 'failed' ? 'restic check: the repository is damaged' : null }) as ApiRun;

function fakeApi(status: ApiRun['status']) {
  const calls: string[] = [];
  return {
    calls,
    api: {
      checkRepository: async (id: number) => (calls.push(`check:${id}`), accepted),
      waitForRun: async (id: string) => (calls.push(`wait:${id}`), runWith(status)),
    },
  };
}

beforeEach(() => jest.spyOn(console, 'log').mockImplementation(() => {}));
afterEach(() => jest.restoreAllMocks());

test('starts the check and returns at once without --wait', async () => {
  const { api, calls } = fakeApi('succeeded');
  expect(await runCheck(api, ['7'], () => {})).toBe(0);
  expect(calls).toEqual(['check:7']);
  expect(console.log).toHaveBeenCalledWith('check run r-1 started (workflow check/repository-7/2026-12-03T01:00:00Z)');
});

test('--wait prints the run and exits 1 when the check failed', async () => {
  const printed: ApiRun[] = [];
  const ok = fakeApi('succeeded');
  expect(await runCheck(ok.api, ['7', '--wait'], (r) => printed.push(r))).toBe(0);
  const damaged = fakeApi('failed');
  expect(await runCheck(damaged.api, ['7', '--wait'], (r) => printed.push(r))).toBe(1);
  expect(damaged.calls).toEqual(['check:7', 'wait:r-1']);
  expect(printed.map((r) => r.status)).toEqual(['succeeded', 'failed']);
});

test('refuses a missing or malformed repository id', async () => {
  const { api, calls } = fakeApi('succeeded');
  await expect(runCheck(api, [], () => {})).rejects.toThrow(/repository id/);
  await expect(runCheck(api, ['abc'], () => {})).rejects.toThrow(/repository id/);
  expect(calls).toEqual([]);
  expect(CHECK_USAGE).toContain('repos check <id> [--wait]');
});
