// The tar reader on archives made by GNU tar (ustar, long names as PAX or GNU 'L' headers),
// fed in small pieces as a stream arrives.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parsePax, TarFormatError, TarReader, type TarMember } from './tar-reader';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tar-reader-'));
  const deep = join(dir, 'src', 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(dir, 'src', 'small'), 'hello');
  writeFileSync(join(deep, 'segment-with-a-long-name-0000000001'), Buffer.alloc(70_000, 7));
  writeFileSync(join(dir, 'src', 'empty'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(archive: Buffer, pieceBytes: number): Promise<Array<TarMember & { data: Buffer }>> {
  const members: Array<TarMember & { data: Buffer }> = [];
  const reader = new TarReader({
    onMember: (m) => members.push({ ...m, data: Buffer.alloc(0) }),
    onData: (_m, data, offset) => {
      const cur = members[members.length - 1]!;
      expect(offset).toBe(cur.data.length);
      cur.data = Buffer.concat([cur.data, data]);
    },
  });
  const pieces: Buffer[] = [];
  for (let at = 0; at < archive.length; at += pieceBytes) pieces.push(archive.subarray(at, at + pieceBytes));
  await pipeline(Readable.from(pieces), reader);
  return members;
}

it.each([
  ['pax', 1000],
  ['gnu', 333],
  ['pax', 1],
])('reads every member of a %s archive fed %i bytes at a time', async (format, piece) => {
  const archive = execFileSync('tar', ['-c', `--format=${format}`, '-C', join(dir, 'src'), '.'], { maxBuffer: 1 << 24 });
  const files = (await read(archive, piece)).filter((m) => m.type === '0');
  const byName = Object.fromEntries(files.map((f) => [f.path.replace(/^\.\//, ''), f]));
  expect(byName.small!.data.toString()).toBe('hello');
  expect(byName.empty!.size).toBe(0);
  const long = files.find((f) => f.path.endsWith('segment-with-a-long-name-0000000001'))!;
  expect(long.path.length).toBeGreaterThan(100);
  expect(long.size).toBe(70_000);
  expect(long.data.equals(Buffer.alloc(70_000, 7))).toBe(true);
});

it('refuses a stream that ends inside a member, and a header that fails its checksum', async () => {
  const archive = execFileSync('tar', ['-c', '--format=pax', '-C', join(dir, 'src'), 'small']);
  await expect(read(archive.subarray(0, 1024 + 2), 512)).rejects.toThrow(TarFormatError);
  const bad = Buffer.from(archive);
  bad[0] = bad[0]! ^ 0xff;
  await expect(read(bad, 512)).rejects.toThrow(/checksum/);
});

it('parses PAX records', () => {
  expect(parsePax(Buffer.from('20 path=dir/a b.txt\n12 size=100\n'))).toEqual({ path: 'dir/a b.txt', size: '100' });
});
