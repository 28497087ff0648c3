// Staging against a fake disk (a buffer) in a temporary directory: which segments are
// written, with what, and which keep the parent's mtime untouched and unwritten.
import { mkdtempSync, readFileSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runMtimeAfter, scrubStaged, stageDisk } from './guest-stage';
import { segmentPath } from '../../shared/guest/segments';

const S = 64 * 1024;
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'guest-stage-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const diskOf = (size: number) => {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) & 0xff;
  let reads = 0;
  return { data, reader: { read: async (o: number, l: number) => ((reads += l), data.subarray(o, o + l)) }, reads: () => reads };
};

it('a full read writes the read extents and leaves the rest of the disk as holes, every segment with the run mtime', async () => {
  const disk = diskOf(4 * S);
  const staged = await stageDisk({ root: dir, name: 'd', size: 4 * S, segmentBytes: S, extents: [{ offset: S + 10, length: 100 }], parentMtimes: null, runMtime: 1000, reader: disk.reader, fillFromParent: async () => fail('no parent') });
  expect(staged).toEqual({ mtimes: [1000, 1000, 1000, 1000], written: 4, bytesRead: 100, touched: [1] });
  const seg1 = readFileSync(join(dir, segmentPath('d', 1)));
  expect(seg1.length).toBe(S);
  expect(seg1.subarray(10, 110).equals(disk.data.subarray(S + 10, S + 110))).toBe(true);
  expect(seg1.subarray(0, 10).every((b) => b === 0)).toBe(true);
  // Holes, not zeros written: the stage costs no space for what was not read.
  expect(statSync(join(dir, segmentPath('d', 3))).blocks).toBe(0);
});

it("an incremental fills a partly dirty segment from the parent's copy, writes the dirty bytes over it, and keeps the parent's mtime on the rest", async () => {
  const disk = diskOf(3 * S);
  const parentCopy = Buffer.alloc(S, 0xaa);
  const asked: string[][] = [];
  const staged = await stageDisk({
    root: dir,
    name: 'd',
    size: 3 * S,
    segmentBytes: S,
    extents: [{ offset: 2 * S + 5, length: 10 }],
    parentMtimes: [7, 8, 9],
    runMtime: 50,
    reader: disk.reader,
    fillFromParent: async (rels, into) => {
      asked.push(rels);
      for (const rel of rels) {
        mkdirSync(dirname(join(into, rel)), { recursive: true });
        writeFileSync(join(into, rel), parentCopy);
      }
    },
  });
  expect(asked).toEqual([[segmentPath('d', 2)]]);
  expect(staged).toEqual({ mtimes: [7, 8, 50], written: 1, bytesRead: 10, touched: [2] });
  const seg2 = readFileSync(join(dir, segmentPath('d', 2)));
  expect(seg2.subarray(0, 5).every((b) => b === 0xaa)).toBe(true);
  expect(seg2.subarray(5, 15).equals(disk.data.subarray(2 * S + 5, 2 * S + 15))).toBe(true);
  expect(seg2.subarray(15).every((b) => b === 0xaa)).toBe(true);
  expect(Math.floor(statSync(join(dir, segmentPath('d', 0))).mtimeMs / 1000)).toBe(7);
  expect(statSync(join(dir, segmentPath('d', 0))).blocks).toBe(0);
});

it('refuses a parent with another number of segments', async () => {
  const disk = diskOf(2 * S);
  await expect(stageDisk({ root: dir, name: 'd', size: 2 * S, segmentBytes: S, extents: [], parentMtimes: [1, 2, 3], runMtime: 9, reader: disk.reader, fillFromParent: async () => undefined })).rejects.toThrow(/3 segments/);
});

it('gives new segments an mtime later than any of the parent', () => {
  expect(runMtimeAfter(10_500, null)).toBe(10);
  expect(runMtimeAfter(10_500, [3, 10, 4])).toBe(11);
  // An earlier attempt on this agent used a later one (the clock set back): after it, never the same.
  expect(runMtimeAfter(10_500, [3, 10, 4], 50)).toBe(51);
  expect(runMtimeAfter(99_000, [3], 50)).toBe(99);
});

it('reuses the stage the last backup left: only touched segments are rewritten, then scrubbed back to holes with the new mtime', async () => {
  const disk = diskOf(3 * S);
  const noParent = async () => fail('no fill expected');
  const first = await stageDisk({ root: dir, name: 'd', size: 3 * S, segmentBytes: S, extents: [{ offset: 0, length: S }], parentMtimes: null, runMtime: 100, reader: disk.reader, fillFromParent: noParent });
  scrubStaged(dir, 'd', 3 * S, S, first.touched, 100);
  expect(statSync(join(dir, segmentPath('d', 0))).blocks).toBe(0);
  const untouchedIno = statSync(join(dir, segmentPath('d', 2))).ino;

  const second = await stageDisk({ root: dir, name: 'd', size: 3 * S, segmentBytes: S, extents: [{ offset: S, length: S }], parentMtimes: first.mtimes, runMtime: 200, reader: disk.reader, fillFromParent: noParent, reuse: true });
  expect(second).toMatchObject({ mtimes: [100, 200, 100], written: 1, touched: [1] });
  expect(readFileSync(join(dir, segmentPath('d', 1))).equals(disk.data.subarray(S, 2 * S))).toBe(true);
  // Untouched: the same file, still a hole, still the parent's mtime.
  const untouched = statSync(join(dir, segmentPath('d', 2)));
  expect([untouched.ino, untouched.blocks, Math.floor(untouched.mtimeMs / 1000)]).toEqual([untouchedIno, 0, 100]);
});
