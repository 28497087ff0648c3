import { histogramRowsFrom } from './metrics';

describe('histogramRowsFrom', () => {
  it('joins totals and bucket counts per kind and outcome, as numbers (pg gives bigint as text)', () => {
    const rows = histogramRowsFrom(
      [
        { kind: 'backup', status: 'succeeded', count: '2', sum: 12.5 },
        { kind: 'prune', status: 'failed', count: '1', sum: 3 },
      ],
      [
        { kind: 'backup', status: 'succeeded', le: 5, below: '1' },
        { kind: 'backup', status: 'succeeded', le: 60, below: '2' },
        { kind: 'prune', status: 'failed', le: 5, below: '1' },
      ],
    );
    expect(rows).toEqual([
      { kind: 'backup', outcome: 'succeeded', count: 2, sum: 12.5, buckets: new Map([[5, 1], [60, 2]]) },
      { kind: 'prune', outcome: 'failed', count: 1, sum: 3, buckets: new Map([[5, 1]]) },
    ]);
  });
});
