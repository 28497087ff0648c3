import { checkSegmentBytes, defaultSegmentBytes, planSegments, segmentCount, segmentLength, segmentPath, SegmentLayoutError } from './segments';

const K = 1024;

describe('segment layout', () => {
  it('takes powers of two from 64 KiB to 64 MiB only', () => {
    expect(checkSegmentBytes(4 * K * K)).toBe(4 * K * K);
    for (const bad of [0, 32 * K, 3 * K * K, 128 * K * K, 1.5]) expect(() => checkSegmentBytes(bad)).toThrow(SegmentLayoutError);
  });

  it('counts a short last segment', () => {
    expect(segmentCount(10 * K * K + 1, K * K)).toBe(11);
    expect(segmentLength(10, 10 * K * K + 1, K * K)).toBe(1);
    expect(segmentLength(9, 10 * K * K + 1, K * K)).toBe(K * K);
  });

  it('names segments so that they sort in disk order, in groups', () => {
    expect(segmentPath('scsi0', 5)).toBe('scsi0/000000/0000000005');
    expect(segmentPath('scsi0', 1024)).toBe('scsi0/000001/0000001024');
    const names = [9, 10, 1023, 1024, 20000].map((i) => segmentPath('d', i));
    expect([...names].sort()).toEqual(names);
  });
});

describe('planSegments', () => {
  const S = 64 * K;
  it('gives each touched segment its part of the extents; an incremental fills the rest from the previous snapshot', () => {
    const plan = planSegments(
      [
        { offset: 10, length: 100 },
        { offset: 200, length: 50 },
        { offset: S - 10, length: 20 },
        { offset: 3 * S, length: S },
      ],
      4 * S,
      S,
      true,
    );
    expect(plan).toEqual([
      { index: 0, read: [{ offset: 10, length: 100 }, { offset: 200, length: 50 }, { offset: S - 10, length: 10 }], fillFromPrevious: true },
      { index: 1, read: [{ offset: S, length: 10 }], fillFromPrevious: true },
      // Wholly rewritten: nothing to take from the previous snapshot.
      { index: 3, read: [{ offset: 3 * S, length: S }], fillFromPrevious: false },
    ]);
  });

  it('leaves the unread rest of a segment to zeros in a full read', () => {
    expect(planSegments([{ offset: 10, length: 5 }], S, S, false)).toEqual([{ index: 0, read: [{ offset: 10, length: 5 }], fillFromPrevious: false }]);
  });

  it('handles the short last segment and refuses extents outside the disk', () => {
    expect(planSegments([{ offset: S, length: 100 }], S + 100, S, true)).toEqual([{ index: 1, read: [{ offset: S, length: 100 }], fillFromPrevious: false }]);
    expect(() => planSegments([{ offset: S, length: 101 }], S + 100, S, true)).toThrow(SegmentLayoutError);
  });
});

describe('defaultSegmentBytes', () => {
  it('cuts a disk into about 16k segments within the bounds', () => {
    expect(defaultSegmentBytes(64 * K * K)).toBe(64 * K);
    expect(defaultSegmentBytes(4 * K * K * K)).toBe(256 * K);
    expect(defaultSegmentBytes(K * K * K * K)).toBe(64 * K * K);
    expect(defaultSegmentBytes(64 * K * K * K * K)).toBe(64 * K * K);
  });
});
