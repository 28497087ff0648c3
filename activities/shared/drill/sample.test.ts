import { SampleCollector, directoryDumpOf, sampleKey, selectSample, type SampleCandidate } from './sample';

/** 200 files: sizes 1..200 KiB in a scrambled order, mtimes one minute apart. */
function tree(n = 200): SampleCandidate[] {
  return Array.from({ length: n }, (_, i) => {
    const k = (i * 37) % n;
    return { path: `/srv/data/d${k % 7}/f${k}.bin`, size: (k + 1) * 1024, mtime: new Date(Date.UTC(2026, 10, 1) + k * 60_000).toISOString() };
  });
}

const opts = { files: 12, bytes: 1200 * 1024, newest: 3, seed: 'run-1' };

describe('selectSample', () => {
  it('always takes the largest file and the newest few, then random files within the budget', () => {
    const files = tree();
    const s = selectSample(files, opts);
    expect(s[0]).toMatchObject({ path: '/srv/data/d3/f199.bin', size: 200 * 1024, picked: 'largest' });
    // f199 is also the newest: the next three newest are taken instead.
    expect(s.filter((f) => f.picked === 'newest').map((f) => f.path)).toEqual(['/srv/data/d2/f198.bin', '/srv/data/d1/f197.bin', '/srv/data/d0/f196.bin']);
    expect(s.length).toBeLessThanOrEqual(opts.files);
    expect(new Set(s.map((f) => f.path)).size).toBe(s.length);
    const random = s.filter((f) => f.picked === 'random');
    expect(random.length).toBeGreaterThan(0);
    // The budget bounds the whole sample once random picks begin.
    expect(s.reduce((n, f) => n + f.size, 0)).toBeLessThanOrEqual(opts.bytes);
  });

  it('is deterministic: the same seed picks the same files whatever the listing order', () => {
    const files = tree();
    const a = selectSample(files, opts);
    const b = selectSample([...files].reverse(), opts);
    expect(b).toEqual(a);
    const other = selectSample(files, { ...opts, seed: 'run-2' });
    expect(other.filter((f) => f.picked === 'random').map((f) => f.path)).not.toEqual(a.filter((f) => f.picked === 'random').map((f) => f.path));
  });

  it('takes random files in the order of their keyed hash', () => {
    const files = tree(50);
    const s = selectSample(files, { files: 50, bytes: Infinity, newest: 0, seed: 's' });
    const random = s.filter((f) => f.picked === 'random').map((f) => f.path);
    const expected = files
      .filter((f) => f.path !== s[0]!.path)
      .map((f) => ({ path: f.path, key: sampleKey('s', f.path) }))
      .sort((x, y) => x.key - y.key)
      .map((f) => f.path);
    expect(random).toEqual(expected);
  });

  it('takes no random file once the always-picked ones exceed the budget', () => {
    expect(selectSample(tree(), { ...opts, bytes: 400 * 1024 }).map((f) => f.picked)).toEqual(['largest', 'newest', 'newest', 'newest']);
  });

  it('keeps to the count even when the always-picked files fill it', () => {
    expect(selectSample(tree(), { ...opts, files: 1 })).toEqual([expect.objectContaining({ picked: 'largest' })]);
    expect(selectSample(tree(), { ...opts, files: 2 }).map((f) => f.picked)).toEqual(['largest', 'newest']);
    expect(selectSample([], opts)).toEqual([]);
  });

  it('passes over files that would break the budget and takes smaller ones after them', () => {
    const files = [
      { path: '/a/huge', size: 1_000_000, mtime: '2026-01-01T00:00:00Z' },
      { path: '/a/new', size: 10, mtime: '2026-06-01T00:00:00Z' },
      ...Array.from({ length: 30 }, (_, i) => ({ path: `/a/f${i}`, size: i % 2 === 0 ? 5_000 : 50, mtime: '2025-01-01T00:00:00Z' })),
    ];
    const s = selectSample(files, { files: 100, bytes: 1_000_000 + 10 + 15 * 50, newest: 1, seed: 'x' });
    expect(s.slice(0, 2).map((f) => [f.path, f.picked])).toEqual([['/a/huge', 'largest'], ['/a/new', 'newest']]);
    // Only the 50-byte files fit beside the huge one.
    expect(s.filter((f) => f.picked === 'random').every((f) => f.size === 50)).toBe(true);
    expect(s.filter((f) => f.picked === 'random')).toHaveLength(15);
  });

  it('breaks ties by path, and treats an unknown mtime as the oldest', () => {
    const s = selectSample(
      [
        { path: '/b', size: 5, mtime: null },
        { path: '/a', size: 5, mtime: null },
        { path: '/c', size: 1, mtime: '2020-01-01T00:00:00Z' },
      ],
      { files: 2, bytes: 0, newest: 1, seed: 'x' },
    );
    expect(s.map((f) => [f.path, f.picked])).toEqual([['/a', 'largest'], ['/c', 'newest']]);
  });

  it('bounds its memory by the sample size, not the listing', () => {
    const c = new SampleCollector({ files: 5, bytes: Infinity, newest: 2, seed: 'm' });
    for (let i = 0; i < 20_000; i++) c.add({ path: `/f${i}`, size: i % 97, mtime: null });
    expect(c.candidates).toBe(20_000);
    expect((c as unknown as { pool: unknown[] }).pool.length).toBe(5 * 8 + 64);
    expect(c.result()).toHaveLength(5);
  });
});

describe('directoryDumpOf', () => {
  const run = '0b9a3c1e-7d44-4a7f-9e0a-2d7c8a1b5f60';
  it('finds the dumps a directory-mode plugin wrote for the backup run', () => {
    expect(directoryDumpOf(`/var/lib/backstop/agents/web-1/plugin-work/${run}/3/pg_dump/app.dump`, run)).toEqual({ configId: 3 });
    expect(directoryDumpOf(`/data/agents/local/plugin-work/${run}/12/mysql_dump/shop.sql`, run)).toEqual({ configId: 12 });
  });

  it('ignores other runs, option files and deeper paths', () => {
    expect(directoryDumpOf(`/d/plugin-work/other-run/3/pg_dump/app.dump`, run)).toBeNull();
    expect(directoryDumpOf(`/d/plugin-work/${run}/3/client.cnf`, run)).toBeNull();
    expect(directoryDumpOf(`/d/plugin-work/${run}/3/pg_dump/x/app.dump`, run)).toBeNull();
    expect(directoryDumpOf(`/d/plugin-work/${run}/3/pg_dump/app.dump`, null)).toBeNull();
  });
});
