import type { ApiRun } from '../core/api-client';
import { DRILL_USAGE, drillCommand, drillSummary, parseDrillFlags } from './drills';

const accepted = { runId: 'r-1', workflowId: 'drill/4/2026-12-03T01:00:00Z', status: 'queued' as const };
const drillRun = (status: ApiRun['status']) =>
  ({
    id: 'r-1',
    kind: 'drill',
    status,
    failureReason: status === 'failed' ? 'restore drill failed: 1 of 6 sampled files did not come back intact: /srv/a (not restored)' : null,
    details: {
      snapshot: { id: 'a'.repeat(64) },
      integrity: { scope: 'restic check --no-lock --read-data-subset=5%', passed: true },
      files: { filesChecked: 6, bytesChecked: 1200, mismatches: status === 'failed' ? [{ path: '/srv/a', reason: 'not restored' }] : [], restoredOn: 'web-1' },
      databases: [{ path: '/backstop/pg_dump/config-3/app.dump', status: 'passed' }],
    },
  }) as unknown as ApiRun;

function fakeApi(status: ApiRun['status']) {
  const calls: string[] = [];
  return {
    calls,
    api: {
      runJobDrill: async (id: number, body?: { agent?: string }) => (calls.push(`drill:${id}:${body?.agent ?? ''}`), accepted),
      waitForRun: async (id: string) => (calls.push(`wait:${id}`), drillRun(status)),
      getJobDrill: async (id: number) => (calls.push(`show:${id}`), { jobId: id, settings: {} as never, schedule: null }),
      setJobDrill: async (id: number, b: object) => (calls.push(`set:${id}:${JSON.stringify(b)}`), { jobId: id, settings: {} as never, schedule: null }),
      setJobDrillSchedulePaused: async (id: number, paused: boolean, note?: string) => (calls.push(`paused:${id}:${paused}:${note ?? ''}`), { scheduleId: `drill-schedule/${id}`, paused } as never),
    },
  };
}

beforeEach(() => jest.spyOn(console, 'log').mockImplementation(() => {}));
afterEach(() => jest.restoreAllMocks());

test('starts a drill, on another agent if asked, and with --wait exits 1 when it failed', async () => {
  const ok = fakeApi('succeeded');
  expect(await drillCommand(ok.api, 'drill', ['4'])).toBe(0);
  expect(ok.calls).toEqual(['drill:4:']);
  const failed = fakeApi('failed');
  expect(await drillCommand(failed.api, 'drill', ['4', '--agent', 'restore-test', '--wait'])).toBe(1);
  expect(failed.calls).toEqual(['drill:4:restore-test', 'wait:r-1']);
  expect(console.log).toHaveBeenCalledWith('  files      6 checked (1200 bytes) on web-1, 1 mismatched');
  expect(DRILL_USAGE).toContain('jobs drill <id> [--agent <name>] [--wait]');
});

test('sums up the evidence of a drill', () => {
  expect(drillSummary(drillRun('succeeded'))).toEqual([
    'drill r-1: succeeded',
    `  snapshot   ${'a'.repeat(64)}`,
    '  check      restic check --no-lock --read-data-subset=5%: passed',
    '  files      6 checked (1200 bytes) on web-1, 0 mismatched',
    '  database   /backstop/pg_dump/config-3/app.dump: passed',
  ]);
});

test('reads the settings and the schedule from flags', () => {
  expect(parseDrillFlags(['--files', '50', '--read-data', '2.5', '--probe', '3=SELECT count(*) FROM orders', '--every', '86400'])).toEqual({
    sampleFiles: 50,
    readDataPercent: 2.5,
    probes: { '3': 'SELECT count(*) FROM orders' },
    schedule: { intervals: [{ everySeconds: 86400 }] },
  });
  expect(parseDrillFlags([])).toEqual({});
  expect(() => parseDrillFlags(['--read-data', '2.55'])).toThrow('--read-data');
  expect(() => parseDrillFlags(['--probe', 'x=SELECT 1'])).toThrow('--probe');
});

test('shows and sets', async () => {
  const { api, calls } = fakeApi('succeeded');
  expect(await drillCommand(api, 'drill-show', ['4'])).toBe(0);
  expect(await drillCommand(api, 'drill-set', ['4', '--stale-days', '3'])).toBe(0);
  expect(calls).toEqual(['show:4', 'set:4:{"staleAfterDays":3}']);
  await expect(drillCommand(api, 'drill', [])).rejects.toThrow(/job id/);
});

test('pauses and resumes the drill schedule, with a note', async () => {
  const f = fakeApi('succeeded');
  expect(await drillCommand(f.api, 'drill-pause', ['4', '--note', 'repairing'])).toBe(0);
  expect(await drillCommand(f.api, 'drill-resume', ['4'])).toBe(0);
  expect(f.calls).toEqual(['paused:4:true:repairing', 'paused:4:false:']);
});
