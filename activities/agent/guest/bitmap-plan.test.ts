import { bitmapName, decideBitmaps, isJobBitmap } from './bitmap-plan';

const bm = (name: string, extra: { recording?: boolean; inconsistent?: boolean } = {}) => ({ name, recording: extra.recording ?? true, inconsistent: extra.inconsistent });

describe('decideBitmaps', () => {
  const base = bitmapName(4, 'parent');
  const next = bitmapName(4, 'run');

  it('a first backup starts a bitmap and reads everything', () => {
    expect(decideBitmaps(4, 'run', null, [])).toEqual({ mode: 'new', reason: null, base: null, mergeIntoBase: [], remove: [], next });
  });

  it("reuses the parent's bitmap, leaving other jobs' and QEMU's own bitmaps alone", () => {
    const d = decideBitmaps(4, 'run', 'parent', [bm(base), bm('backstop-41-x'), bm('pve-backup')]);
    expect(d).toMatchObject({ mode: 'reuse', base, mergeIntoBase: [], remove: [] });
  });

  it("merges an unfinished run's bitmap into the base instead of dropping what it recorded", () => {
    const stale = bitmapName(4, 'died');
    expect(decideBitmaps(4, 'run', 'parent', [bm(base, { recording: false }), bm(stale)])).toMatchObject({ mode: 'reuse', base, mergeIntoBase: [stale], remove: [] });
  });

  it('reads the whole disk, saying why, when the base is missing', () => {
    const d = decideBitmaps(4, 'run', 'parent', [bm(bitmapName(4, 'older'))]);
    expect(d).toMatchObject({ mode: 'none', base: null, remove: [bitmapName(4, 'older')] });
    expect(d.reason).toMatch(/no dirty bitmap counting from the last snapshot/);
  });

  it('reads the whole disk when the base, or an unfinished run it would need, is inconsistent', () => {
    expect(decideBitmaps(4, 'run', 'parent', [bm(base, { inconsistent: true })])).toMatchObject({ mode: 'none', remove: [base], reason: expect.stringMatching(/inconsistent/) });
    const stale = bitmapName(4, 'died');
    expect(decideBitmaps(4, 'run', 'parent', [bm(base), bm(stale, { inconsistent: true })])).toMatchObject({ mode: 'none', remove: [base, stale] });
  });

  it("never counts this run's own bitmap (a retried attempt) as a leftover", () => {
    expect(decideBitmaps(4, 'run', 'parent', [bm(base), bm(next)])).toMatchObject({ mode: 'reuse', mergeIntoBase: [], remove: [] });
  });
});

describe('isJobBitmap', () => {
  it("names a job's own bitmaps only: job 1's are not job 12's", () => {
    expect(isJobBitmap('backstop-1-2f0c', 1)).toBe(true);
    expect(isJobBitmap('backstop-12-2f0c', 1)).toBe(false);
    expect(isJobBitmap('pbs-bitmap', 1)).toBe(false);
  });
});
