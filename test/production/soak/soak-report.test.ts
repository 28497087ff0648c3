import { crashLine, formatReport, reportOf, type SoakFindings } from './soak-report';
import { judgeRuns } from './run-outcomes';

function clean(): SoakFindings {
  return {
    options: { minutes: 3, kills: 2, jobs: 2, seed: 5 },
    replay: 'npm run soak -- --minutes 3 --kills 2 --jobs 2 --seed 5',
    topologyDir: '/tmp/backstop-prod-x',
    startedAt: '2026-01-01T00:00:00.000Z',
    durations: { setupMs: 20_000, chaosMs: 180_000, drainMs: 30_000, checksMs: 40_000, totalMs: 270_000 },
    exercised: { 'btrfs snapshots': 'yes', 'pull mode': 'yes' },
    chaos: {
      planned: 2,
      done: 2,
      byClass: { api: 1, temporal: 1 },
      byTarget: { 'api-1': 1, temporal: 1 },
      late: 0,
      bothApisDown: 0,
      bothWorkersDown: 0,
      restartFailures: [],
      startFailures: [],
      selfExits: [],
      kills: [
        { seq: 1, target: 'api-1', cls: 'api', plannedAtMs: 1_000, killedAtMs: 1_010, downMs: 900, upAtMs: 3_000 },
        { seq: 2, target: 'temporal', cls: 'temporal', plannedAtMs: 91_000, killedAtMs: 91_004, downMs: 2_000, upAtMs: 99_000 },
      ],
    },
    triggers: { attempted: 2, accepted: 2, acceptedAfterRetry: 1, abandoned: 0, unaccounted: [], lost: [] },
    drained: true,
    runs: judgeRuns([
      { id: 'r1', workflowId: 'backup/1/a', jobId: 1, status: 'succeeded', failureReason: null, warnings: [], snapshotId: 's1' },
      { id: 'r2', workflowId: 'backup/1/scheduled-b', jobId: 1, status: 'failed', failureReason: 'agent-1 unreachable', warnings: [], snapshotId: null },
      { id: 'r3', workflowId: 'backup/2/c', jobId: 2, status: 'succeeded', failureReason: null, warnings: [], snapshotId: 's2' },
    ]),
    exposure: { killsDuringRuns: 1, runsThroughKills: 2 },
    temporal: { backupWorkflows: 3, byStatus: { COMPLETED: 3 }, open: [], withoutCatalogRun: [] },
    repositories: [
      { name: 'repo-agent-1', path: '/r1', snapshots: 1, duplicates: [], untagged: [], staleLocks: [], check: { ok: true, detail: 'no errors were found' }, restores: { verified: 1, failed: [] } },
      { name: 'repo-agent-2', path: '/r2', snapshots: 1, duplicates: [], untagged: [], staleLocks: [], check: { ok: true, detail: 'no errors were found' }, restores: { verified: 1, failed: [] } },
    ],
    consistency: { runsWithMissingSnapshot: [], runsWithoutSnapshot: [], catalogSnapshotsMissing: [] },
    leaks: { processes: [], mounts: [], filesystemSnapshots: [] },
  };
}

describe('reportOf', () => {
  it('passes a clean soak, failed run with a reason included', () => {
    const r = reportOf(clean(), null);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.verdict).toBe('pass');
  });

  it.each<[string, (f: SoakFindings) => void, RegExp]>([
    ['a duplicate snapshot', (f) => f.repositories[0]!.duplicates.push({ tag: 'backstop-run=backup/1/a', ids: ['s1', 's9'] }), /0 duplicate snapshots/],
    ['a stale lock', (f) => f.repositories[1]!.staleLocks.push('4e5f'), /0 stale repository locks/],
    ['a run still running', (f) => (f.runs = judgeRuns([{ id: 'r9', workflowId: 'backup/1/z', jobId: 1, status: 'running', failureReason: null, warnings: [], snapshotId: null }])), /every run ended/],
    ['a failure without a reason', (f) => (f.runs = judgeRuns([{ id: 'r9', workflowId: 'backup/1/z', jobId: 1, status: 'failed', failureReason: null, warnings: [], snapshotId: null }])), /every failed run says why/],
    ['mostly failures', (f) => (f.runs = judgeRuns(['a', 'b', 'c'].map((id) => ({ id, workflowId: `backup/1/${id}`, jobId: 1, status: 'failed', failureReason: 'x', warnings: [], snapshotId: null })))), /of runs succeeded/],
    ['a leaked restic', (f) => f.leaks.processes.push('4242 restic backup'), /0 leaked processes/],
    ['a snapshot not restored', (f) => (f.repositories[0]!.restores.verified = 0), /every snapshot restored/],
    ['a failed repository check', (f) => (f.repositories[0]!.check = { ok: false, detail: 'pack abc: not referenced' }), /restic check/],
    ['a kill that never landed', (f) => (f.chaos.done = 1), /every planned kill landed/],
    ['a key that started two runs', (f) => f.triggers.unaccounted.push('backup/1/q'), /Idempotency-Key/],
    ['an open workflow', (f) => f.temporal.open.push('backup/1/q'), /left open/],
    ['a drain that timed out', (f) => (f.drained = false), /every run ended/],
    ['a crash', (f) => f.chaos.selfExits.push({ member: 'api-2', atMs: 484_000, logTail: "node:events:502\n      throw er; // Unhandled 'error' event\n\nError: Connection terminated unexpectedly\n    at Connection.<anonymous>" }), /exited on its own/],
  ])('fails on %s', (_what, spoil, check) => {
    const f = clean();
    spoil(f);
    const r = reportOf(f, '/tmp/kept');
    expect(r.verdict).toBe('fail');
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name).join('\n')).toMatch(check);
  });

  it('fails when the soak broke off, saying why first', () => {
    const r = reportOf(clean(), '/tmp/kept', 'temporal did not come back');
    expect(r.verdict).toBe('fail');
    expect(r.checks[0]).toEqual({ name: 'the soak ran to its end', ok: false, detail: 'temporal did not come back' });
  });
});

describe('formatReport', () => {
  it('shows the kills, the outcomes, every run that did not succeed with its reason, and the checks', () => {
    const text = formatReport(reportOf(clean(), null));
    expect(text).toContain('VERDICT: PASS');
    expect(text).toMatch(/api\s+1\s+api-1 1/);
    expect(text).toMatch(/succeeded\s+2/);
    expect(text).toMatch(/success ratio 66\.7%/);
    expect(text).toContain('failed     backup/1/scheduled-b  r2: agent-1 unreachable');
    expect(text).toMatch(/1 {2}failed: agent-<n> unreachable/);
    expect(text).toMatch(/repo-agent-1\s+1\s+0\s+0\s+0\s+ok\s+1\/1/);
    expect(text).toContain('PASS  0 duplicate snapshots');
  });
});

describe('crashLine', () => {
  it("picks a thrown error's first line out of a crash", () => {
    const tail = ['{"level":30,"msg":"run started"}', 'node:events:502', "      throw er; // Unhandled 'error' event", '      ^', '', 'Error: Connection terminated unexpectedly', '    at Connection.<anonymous> (client.js:204:73)', '', 'Node.js v20.20.2'].join('\n');
    expect(crashLine(tail)).toBe('Error: Connection terminated unexpectedly');
  });

  it('falls back to the last fatal JSON line, then to the last line', () => {
    expect(crashLine('{"level":30,"msg":"ok"}\n{"level":60,"msg":"cannot reach the catalog","err":{"message":"ECONNREFUSED"}}\nbye')).toBe('cannot reach the catalog: ECONNREFUSED');
    expect(crashLine('one\ntwo\n')).toBe('two');
    expect(crashLine('')).toBe('(empty log)');
  });
});
