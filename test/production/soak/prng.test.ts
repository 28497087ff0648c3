import { createPrng, streamOf } from './prng';

const draw = (seed: number, n: number) => {
  const r = createPrng(seed);
  return Array.from({ length: n }, () => r.next());
};

describe('createPrng', () => {
  it('repeats itself for one seed and differs for another', () => {
    expect(draw(1234, 50)).toEqual(draw(1234, 50));
    expect(draw(1234, 50)).not.toEqual(draw(1235, 50));
  });

  it('stays in [0, 1) and spreads over it', () => {
    const xs = draw(99, 10_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const buckets = new Array<number>(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]!++;
    // 1,000 expected per tenth; a generator that clumps misses this by far.
    for (const b of buckets) expect(Math.abs(b - 1_000)).toBeLessThan(150);
  });

  it('draws integers within both bounds, each of them', () => {
    const r = createPrng(5);
    const seen = new Set(Array.from({ length: 500 }, () => r.int(3, 7)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(() => r.int(2, 1)).toThrow(/bad range/);
  });

  it('picks every element of a list, and refuses an empty one', () => {
    const r = createPrng(8);
    const seen = new Set(Array.from({ length: 200 }, () => r.pick(['a', 'b', 'c'])));
    expect(seen).toEqual(new Set(['a', 'b', 'c']));
    expect(() => r.pick([])).toThrow(/empty/);
  });
});

describe('streamOf', () => {
  it('gives each name of one seed its own repeatable stream', () => {
    const a = streamOf(42, 'chaos');
    const b = streamOf(42, 'chaos');
    const c = streamOf(42, 'load');
    const xs = [a.next(), a.next()];
    expect([b.next(), b.next()]).toEqual(xs);
    expect([c.next(), c.next()]).not.toEqual(xs);
  });
});
