// How a disk image is laid out in a snapshot: cut into fixed-size segment files, so that an
// incremental backup writes only the segments the dirty bitmap touches and the engine carries
// every other segment over from the parent snapshot without reading it (restic and borg skip
// a file whose size and mtime match the parent's). Every snapshot still holds the whole
// image: any one restores on its own.
import { intersect, type Extent } from './extents';

/** Segments per directory: keeps each directory's tree small for the engine. */
export const SEGMENTS_PER_GROUP = 1024;
export const MIN_SEGMENT_BYTES = 64 * 1024;
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;

/** Segments a disk is cut into by default: enough to keep fills small, few enough for the engine to scan quickly. */
export const TARGET_SEGMENTS = 16_384;

/**
 * The default segment size for a disk: the power of two that cuts it into about
 * TARGET_SEGMENTS segments, within the bounds (a 4 GiB disk: 256 KiB; 1 TiB: 64 MiB).
 */
export function defaultSegmentBytes(diskBytes: number): number {
  let bytes = MIN_SEGMENT_BYTES;
  while (bytes < MAX_SEGMENT_BYTES && diskBytes / bytes > TARGET_SEGMENTS) bytes *= 2;
  return bytes;
}

export class SegmentLayoutError extends Error {
  override name = 'SegmentLayoutError';
}

/** A segment size must be a power of two between 64 KiB (QEMU's bitmap granularity) and 64 MiB. */
export function checkSegmentBytes(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < MIN_SEGMENT_BYTES || bytes > MAX_SEGMENT_BYTES || (bytes & (bytes - 1)) !== 0) {
    throw new SegmentLayoutError(`segment size ${bytes} must be a power of two from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES} bytes`);
  }
  return bytes;
}

export const segmentCount = (diskBytes: number, segmentBytes: number): number => Math.ceil(diskBytes / segmentBytes);

/** The length of segment `index` (the last one may be short). */
export const segmentLength = (index: number, diskBytes: number, segmentBytes: number): number => Math.min(segmentBytes, diskBytes - index * segmentBytes);

/** Where segment `index` of disk `disk` lives below the staging root: `<disk>/<group>/<index>`, zero-padded so names sort in disk order. */
export function segmentPath(disk: string, index: number): string {
  return `${disk}/${String(Math.floor(index / SEGMENTS_PER_GROUP)).padStart(6, '0')}/${String(index).padStart(10, '0')}`;
}

/** One segment that this backup writes. */
export interface SegmentWork {
  index: number;
  /** Byte ranges to read from the disk, relative to the disk (not the segment). */
  read: Extent[];
  /**
   * True when the read does not cover the whole segment and a previous snapshot has it: the
   * rest comes from that snapshot's copy of the segment. False: the rest is zeros (a full
   * read, where what is not read is a hole).
   */
  fillFromPrevious: boolean;
}

/**
 * The segments touched by `extents` (sorted, disjoint), each with its part of them.
 * `previous`: an earlier snapshot holds every segment (an incremental).
 */
export function planSegments(extents: readonly Extent[], diskBytes: number, segmentBytes: number, previous: boolean): SegmentWork[] {
  const work: SegmentWork[] = [];
  for (const e of extents) {
    if (e.offset < 0 || e.length <= 0 || e.offset + e.length > diskBytes) throw new SegmentLayoutError(`extent ${e.offset}+${e.length} lies outside the ${diskBytes}-byte disk`);
    const first = Math.floor(e.offset / segmentBytes);
    const last = Math.floor((e.offset + e.length - 1) / segmentBytes);
    for (let index = first; index <= last; index++) {
      const seg = { offset: index * segmentBytes, length: segmentLength(index, diskBytes, segmentBytes) };
      const part = intersect([e], [seg]);
      const prev = work[work.length - 1];
      if (prev && prev.index === index) prev.read.push(...part);
      else work.push({ index, read: part, fillFromPrevious: false });
    }
  }
  for (const w of work) {
    const covered = w.read.reduce((n, r) => n + r.length, 0);
    w.fillFromPrevious = previous && covered < segmentLength(w.index, diskBytes, segmentBytes);
  }
  return work;
}
