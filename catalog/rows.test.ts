import { keysetPage } from './rows';

describe('keysetPage', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}` }));
  const keyOf = (r: Record<string, unknown>) => String(r.id);

  it('keeps `limit` rows and gives the key of the last one when the extra row says more follow', () => {
    expect(keysetPage(rows(4), 3, keyOf)).toEqual({ rows: rows(3), next: 'r2' });
  });

  it('gives no key for the last page, full or not', () => {
    expect(keysetPage(rows(3), 3, keyOf)).toEqual({ rows: rows(3), next: null });
    expect(keysetPage(rows(1), 3, keyOf)).toEqual({ rows: rows(1), next: null });
    expect(keysetPage([], 3, keyOf)).toEqual({ rows: [], next: null });
  });
});
