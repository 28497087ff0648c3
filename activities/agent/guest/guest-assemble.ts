// Putting a disk image back together from its segments (as a restore left them below a
// directory): each segment written at its offset into the target — a file, made sparse where
// a segment is all zeros, or a block device of at least the disk's size.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { segmentCount, segmentLength, segmentPath } from '../../shared/guest/segments';
import type { ManifestDisk } from '../../shared/guest/guest-manifest';

const BLOCK = 1024 * 1024;

const allZero = (b: Buffer, n: number): boolean => {
  for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
  return true;
};

/** Writes disk `disk` from `segmentsRoot` (the stage root as restored) into `target`; returns bytes written (zeros skipped). */
export function assembleDisk(segmentsRoot: string, disk: ManifestDisk, target: string, opts: { onProgress?: (bytes: number) => void } = {}): number {
  const out = openSync(target, 'w');
  let written = 0;
  try {
    const isFile = fstatSync(out).isFile();
    if (isFile) ftruncateSync(out, disk.size);
    const buf = Buffer.alloc(BLOCK);
    for (let index = 0; index < segmentCount(disk.size, disk.segmentBytes); index++) {
      const length = segmentLength(index, disk.size, disk.segmentBytes);
      const fd = openSync(join(segmentsRoot, segmentPath(disk.name, index)), 'r');
      try {
        const st = fstatSync(fd);
        if (st.size !== length) throw new Error(`segment ${index} of disk ${disk.name} has ${st.size} bytes, not ${length}`);
        for (let at = 0; at < length; at += BLOCK) {
          const n = readSync(fd, buf, 0, Math.min(BLOCK, length - at), at);
          // A file target stays sparse where the disk reads zeros; a device gets every byte.
          if (isFile && allZero(buf, n)) continue;
          writeSync(out, buf, 0, n, index * disk.segmentBytes + at);
          written += n;
          opts.onProgress?.(n);
        }
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    closeSync(out);
  }
  return written;
}
