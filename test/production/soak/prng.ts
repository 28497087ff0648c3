// A seeded pseudo-random generator, so a soak that failed can be replayed with the same kill
// moments, targets and delays. Not for anything secret: a 32-bit counter stepped by the golden
// ratio and mixed with two multiply-xorshift rounds (the "splitmix" construction).
//
// Each concern draws from its own named stream (`streamOf(seed, 'chaos')`): adding a job or a
// manual run must not move a single kill of the replayed plan.

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const next = () => next32() / 0x1_0000_0000;
  return {
    next,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new Error(`bad range [${min}, ${max}]`);
      return min + Math.floor(next() * (max - min + 1));
    },
    pick(items) {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** The generator of one named concern of a soak: the seed mixed with the name (FNV-1a). */
export function streamOf(seed: number, name: string): Prng {
  let h = 0x811c9dc5;
  for (const ch of name) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return createPrng((seed ^ h) >>> 0);
}
