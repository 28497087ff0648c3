import type { Run } from '../contract/model';
import { selectCatchUps } from './catch-up';

const NOW = new Date('2026-11-24T09:00:00Z');
const DAY = 24 * 60 * 60_000;

function run(over: Partial<Run> = {}): Run {
  return {
    id: 'aaaaaaaa-0000-4000-8000-000000000001',
    jobId: 1,
    kind: 'backup',
    repositoryId: 2,
    agentName: 'laptop',
    workflowId: 'backup/1/scheduled-2026-11-24T02:00:00Z',
    status: 'failed',
    snapshotId: null,
    stats: null,
    warnings: [],
    failureReason: 'agent unreachable: agent "laptop" did not pick up createSnapshot in time',
    details: null,
    startedAt: '2026-11-24T02:00:01.250Z',
    finishedAt: '2026-11-24T02:05:01.000Z',
    cancelledBy: null,
    ...over,
  };
}

describe('selectCatchUps', () => {
  it('catches up a scheduled backup missed because the agent was away, under an id derived from it', () => {
    expect(selectCatchUps([run()], new Set([1]), NOW, DAY)).toEqual([{ jobId: 1, missedRunId: run().id, workflowId: 'backup/1/catchup-2026-11-24T02:00:01Z' }]);
  });

  it('gives the same id each time, so a second registration cannot start a second run', () => {
    const later = new Date(NOW.getTime() + 60_000);
    expect(selectCatchUps([run()], new Set([1]), later, DAY)).toEqual(selectCatchUps([run()], new Set([1]), NOW, DAY));
  });

  it.each<[string, Partial<Run>, Set<number>, Date]>([
    ['outside the catch-up window', {}, new Set([1]), new Date('2026-11-25T02:00:02Z')],
    ['failed for another reason', { failureReason: 'restic: wrong password' }, new Set([1]), NOW],
    ['succeeded', { status: 'succeeded', failureReason: null }, new Set([1]), NOW],
    ['still running', { status: 'running', failureReason: null }, new Set([1]), NOW],
    ['a manual run', { workflowId: 'backup/1/2026-11-24T02:00:00Z' }, new Set([1]), NOW],
    ['a catch-up run that missed again', { workflowId: 'backup/1/catchup-2026-11-23T02:00:00Z' }, new Set([1]), NOW],
    ['of a job whose schedule is paused or gone', {}, new Set<number>(), NOW],
    ['another job\'s scheduled id', { workflowId: 'backup/12/scheduled-2026-11-24T02:00:00Z' }, new Set([1]), NOW],
  ])('skips a run %s', (_what, over, active, now) => {
    expect(selectCatchUps([run(over)], active, now, DAY)).toEqual([]);
  });

  it('handles several jobs independently', () => {
    const other = run({ id: 'aaaaaaaa-0000-4000-8000-000000000002', jobId: 3, workflowId: 'backup/3/scheduled-2026-11-24T03:00:00Z', startedAt: '2026-11-24T03:00:00Z' });
    const ok = run({ jobId: 4, workflowId: 'backup/4/scheduled-2026-11-24T02:00:00Z', status: 'succeeded', failureReason: null });
    expect(selectCatchUps([run(), other, ok], new Set([1, 3, 4]), NOW, DAY).map((c) => c.workflowId)).toEqual(['backup/1/catchup-2026-11-24T02:00:01Z', 'backup/3/catchup-2026-11-24T03:00:00Z']);
  });
});
