import type { SnapshotEntry } from '../../contract/engine';
import { decodeCursor, encodeCursor, page } from './browse';
import { contentDisposition, contentTypeFor } from './content-type';

const entry = (name: string): SnapshotEntry => ({ name, path: `/d/${name}`, type: 'file', size: 1, mtime: null, mode: 0o644, permissions: '-rw-r--r--', uid: 0, gid: 0 });

describe('directory paging', () => {
  const entries = ['b', 'a', 'é', 'Z', 'c'].map(entry);

  it('pages through every entry once, in byte order, ending with a null cursor', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = page(entries, 2, cursor);
      seen.push(...p.entries.map((e) => e.name));
      if (p.nextCursor === null) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(['Z', 'a', 'b', 'c', 'é']);
  });

  it('returns everything in one page when it fits', () => {
    expect(page(entries, 10)).toMatchObject({ nextCursor: null });
    expect(page([], 10)).toEqual({ entries: [], nextCursor: null });
  });

  it('refuses a cursor it did not issue', () => {
    expect(decodeCursor(encodeCursor('x y'))).toBe('x y');
    expect(() => page(entries, 2, 'garbage')).toThrow(/cursor/);
  });
});

describe('content type of a streamed file', () => {
  it.each([
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['data.JSON', 'application/json'],
    ['photo.jpeg', 'image/jpeg'],
    ['archive.tar.gz', 'application/gzip'],
    ['blob.bin', 'application/octet-stream'],
    ['Makefile', 'application/octet-stream'],
    ['.bashrc', 'application/octet-stream'],
    ['trailing.', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(contentTypeFor(name)).toBe(type);
  });

  it('quotes file names safely', () => {
    expect(contentDisposition('a"b\\c.txt')).toBe(`attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`);
    expect(contentDisposition('résumé.pdf')).toContain("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
  });
});
