import { judgeRuns, killExposure, reasonGroup, type RunRecord } from './run-outcomes';

let n = 0;
const run = (status: string, over: Partial<RunRecord> = {}): RunRecord => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  workflowId: `backup/1/2026-01-01T00:00:0${n % 10}Z`,
  jobId: 1,
  status,
  failureReason: null,
  warnings: [],
  snapshotId: null,
  ...over,
});

describe('judgeRuns', () => {
  it('counts outcomes, kinds of start and the success ratio', () => {
    const j = judgeRuns([
      run('succeeded'),
      run('succeeded', { workflowId: 'backup/2/scheduled-2026-01-01T00:01:00Z' }),
      run('warning', { warnings: ['unreadable: /x'], workflowId: 'backup/2/catchup-2026-01-01T00:00:00Z' }),
      run('failed', { failureReason: 'agent-2 unreachable' }),
      run('cancelled', { failureReason: 'cancelled by the schedule' }),
    ]);
    expect(j.total).toBe(5);
    expect(j.byStatus).toEqual({ succeeded: 2, warning: 1, failed: 1, cancelled: 1 });
    expect(j.scheduled).toBe(1);
    expect(j.catchUp).toBe(1);
    expect(j.manual).toBe(3);
    expect(j.successRatio).toBeCloseTo(3 / 5);
    expect(j.notTerminal).toEqual([]);
    expect(j.failedWithoutReason).toEqual([]);
    expect(j.notSucceeded.map((l) => [l.status, l.reason])).toEqual([
      ['warning', 'unreadable: /x'],
      ['failed', 'agent-2 unreachable'],
      ['cancelled', 'cancelled by the schedule'],
    ]);
  });

  it('lists runs that did not end and failures without a reason', () => {
    const j = judgeRuns([run('running'), run('queued'), run('failed'), run('failed', { failureReason: '  ' }), run('failed', { failureReason: 'boom' })]);
    expect(j.notTerminal.map((l) => l.status)).toEqual(['running', 'queued']);
    expect(j.failedWithoutReason).toHaveLength(2);
    expect(j.reasons.find((r) => r.reason === 'failed: (no reason)')?.count).toBe(2);
  });

  it('groups reasons that differ only in ids, times and numbers, most frequent first', () => {
    const j = judgeRuns([
      run('failed', { failureReason: 'step runBackup on agent-2 timed out after 10000 ms (run 3f2a6c1e-0b8d-4c1f-9d7e-1a2b3c4d5e6f)' }),
      run('failed', { failureReason: 'step runBackup on agent-3 timed out after 12000 ms (run 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b)' }),
      run('failed', { failureReason: 'restic backup: repository is locked' }),
    ]);
    expect(j.reasons).toEqual([
      { reason: 'failed: step runBackup on agent-<n> timed out after <n> ms (run <uuid>)', count: 2, example: 'step runBackup on agent-2 timed out after 10000 ms (run 3f2a6c1e-0b8d-4c1f-9d7e-1a2b3c4d5e6f)' },
      { reason: 'failed: restic backup: repository is locked', count: 1, example: 'restic backup: repository is locked' },
    ]);
  });

  it('gives a ratio of 0 without runs', () => {
    expect(judgeRuns([]).successRatio).toBe(0);
  });
});

describe('reasonGroup', () => {
  it('masks workflow ids, times, temporary paths and hex ids', () => {
    expect(reasonGroup('backup/12/scheduled-2026-12-03T10:00:00Z: lock at /tmp/backstop-prod-x/repos/agent-1 held by 4f3a9b2c1d0e')).toBe('<workflow>: lock at <path> held by <hex>');
    expect(reasonGroup('at 2026-12-03T10:00:00.123Z  twice')).toBe('at <time> twice');
  });
});

describe('killExposure', () => {
  it('counts kills that met a running backup and runs that met a kill', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const runs = [
      { startedAt: at(0), finishedAt: at(10) },
      { startedAt: at(5), finishedAt: at(20) },
      { startedAt: at(30), finishedAt: null },
    ];
    const kills = [at(7), at(25), at(40)].map((t) => Date.parse(t));
    expect(killExposure(kills, runs)).toEqual({ killsDuringRuns: 2, runsThroughKills: 3 });
  });
});
