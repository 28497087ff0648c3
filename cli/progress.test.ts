import type { ApiRun } from '../core/api-client';
import { bar, plainUpdate, progressFigures, renderStatusLine, runSummary } from './progress';

const GiB = 1024 ** 3;
const progress = { percent: 30, filesDone: 1200, filesTotal: 5000, bytesDone: 1.2 * GiB, bytesTotal: 4 * GiB, currentFile: '/srv/a', secondsElapsed: 24 };
const running = (over: Partial<ApiRun> = {}): ApiRun =>
  ({
    id: '0f8e2a4c-1111-4222-8333-444455556666',
    kind: 'backup',
    status: 'running',
    jobId: 2,
    startedAt: '2026-12-03T11:59:00Z',
    finishedAt: null,
    warnings: [],
    failureReason: null,
    snapshotId: null,
    stats: null,
    progress: null,
    live: { step: 'engine', stepStartedAt: '2026-12-03T11:59:30Z', stepsDone: ['pre-script', 'snapshot'], progress },
    ...over,
  }) as ApiRun;

describe('progressFigures', () => {
  it('derives rate and ETA from bytes done over the time elapsed', () => {
    const f = progressFigures(progress);
    expect(f.percent).toBe(30);
    expect(f.rate).toBeCloseTo((1.2 * GiB) / 24);
    expect(f.etaSeconds).toBeCloseTo(56);
  });
  it('has no percent or ETA when the engine does not know the total', () => {
    expect(progressFigures({ ...progress, percent: 0, bytesTotal: 0, filesTotal: 0 })).toMatchObject({ percent: null, bytesTotal: null, filesTotal: null, etaSeconds: null });
    expect(progressFigures({ ...progress, bytesDone: 0, secondsElapsed: 0 })).toMatchObject({ rate: null, etaSeconds: null });
  });
});

test('bar fills cells in proportion and clamps', () => {
  expect(bar(50, 10)).toBe('[#####-----]');
  expect(bar(140, 4)).toBe('[####]');
  expect(bar(-3, 4)).toBe('[----]');
});

describe('renderStatusLine', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it('shows bar, percent, bytes, files, rate, ETA and the step with its time', () => {
    expect(renderStatusLine(running(), now, 200)).toBe('[#######-----------------]  30%  1.20 GiB / 4.00 GiB  1200/5000 files  51.2 MiB/s  ETA 56s  engine 30s');
  });
  it('shows the step alone before there is progress, and fits the terminal', () => {
    expect(renderStatusLine(running({ live: { step: 'waiting-for-lock', stepStartedAt: '2026-12-03T11:58:00Z', stepsDone: [], progress: null } }), now, 200)).toBe('backup running: waiting-for-lock 2m00s');
    expect(renderStatusLine(running(), now, 20)).toHaveLength(20);
  });
});

test('plain updates come only when the step or the tens of percent change', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  const first = plainUpdate(running(), now, {});
  expect(first.line).toBe('2026-12-03T12:00:00.000Z backup 0f8e2a4c: engine  30%  1.20 GiB / 4.00 GiB  1200/5000 files  51.2 MiB/s  ETA 56s');
  expect(plainUpdate(running({ live: { ...running().live!, progress: { ...progress, percent: 35 } } }), now, first.last).line).toBeNull();
  expect(plainUpdate(running({ live: { ...running().live!, progress: { ...progress, percent: 41 } } }), now, first.last).line).toContain('41%');
  expect(plainUpdate(running({ live: { ...running().live!, step: 'post-hook', progress: null } }), now, first.last).line).toMatch(/: post-hook$/);
});

test('the summary of a finished run says what it did and why it did not', () => {
  const done = running({
    status: 'warning',
    finishedAt: '2026-12-03T12:01:12Z',
    snapshotId: 'ab'.repeat(32),
    warnings: ['/srv/locked: permission denied'],
    stats: { filesNew: 3, filesChanged: 1, filesUnmodified: 10, dirsNew: 0, dirsChanged: 0, dirsUnmodified: 0, dataAdded: 2048, totalFilesProcessed: 14, totalBytesProcessed: 4 * GiB, durationSeconds: 70 },
  });
  expect(runSummary(done)).toEqual([
    'backup run 0f8e2a4c-1111-4222-8333-444455556666 warning after 2m12s',
    `  snapshot  ${'ab'.repeat(32)}`,
    '  files     14 processed (3 new, 1 changed, 10 unmodified)',
    '  data      4.00 GiB processed, 2.00 KiB added',
    '  warning   /srv/locked: permission denied',
  ]);
});
