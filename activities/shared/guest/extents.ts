// Byte ranges of a disk and the arithmetic on them that a backup plan needs.

export interface Extent {
  offset: number;
  length: number;
}

/** The total length of `extents`. */
export const totalLength = (extents: readonly Extent[]): number => extents.reduce((n, e) => n + e.length, 0);

/** The parts of sorted, disjoint `a` that also lie in sorted, disjoint `b`. */
export function intersect(a: readonly Extent[], b: readonly Extent[]): Extent[] {
  const out: Extent[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = Math.max(x.offset, y.offset);
    const end = Math.min(x.offset + x.length, y.offset + y.length);
    if (start < end) out.push({ offset: start, length: end - start });
    if (x.offset + x.length <= y.offset + y.length) i++;
    else j++;
  }
  return out;
}

/** `extents` cut into pieces of at most `max` bytes (an NBD read has a size limit). */
export function* pieces(extents: readonly Extent[], max: number): Generator<Extent> {
  for (const e of extents) {
    for (let at = e.offset; at < e.offset + e.length; at += max) {
      yield { offset: at, length: Math.min(max, e.offset + e.length - at) };
    }
  }
}
