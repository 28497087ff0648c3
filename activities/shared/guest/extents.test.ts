import { intersect, pieces, totalLength } from './extents';

describe('extents', () => {
  it('intersects sorted, disjoint lists', () => {
    const a = [
      { offset: 0, length: 10 },
      { offset: 20, length: 10 },
    ];
    const b = [{ offset: 5, length: 20 }];
    expect(intersect(a, b)).toEqual([
      { offset: 5, length: 5 },
      { offset: 20, length: 5 },
    ]);
    expect(intersect(a, [])).toEqual([]);
    expect(intersect([{ offset: 0, length: 5 }], [{ offset: 5, length: 5 }])).toEqual([]);
  });

  it('cuts extents into reads of a bounded size', () => {
    expect([...pieces([{ offset: 100, length: 25 }], 10)]).toEqual([
      { offset: 100, length: 10 },
      { offset: 110, length: 10 },
      { offset: 120, length: 5 },
    ]);
  });

  it('sums lengths', () => {
    expect(totalLength([{ offset: 0, length: 3 }, { offset: 9, length: 4 }])).toBe(7);
  });
});
