import { formatBytes, formatDuration, formatFields, formatTable, relativeTime } from './format';

describe('formatTable', () => {
  const rows = [
    { id: 7, name: 'web', status: 'succeeded' },
    { id: 12, name: 'database-main', status: null },
  ];
  const columns = [
    { header: 'id', value: (r: (typeof rows)[number]) => r.id, right: true },
    { header: 'name', value: (r: (typeof rows)[number]) => r.name },
    { header: 'status', value: (r: (typeof rows)[number]) => r.status },
  ];

  it('aligns columns, right-aligns numbers, prints no index column, no quotes, no trailing blanks', () => {
    expect(formatTable(rows, columns)).toEqual([
      'ID  NAME           STATUS',
      ' 7  web            succeeded',
      '12  database-main',
    ]);
  });

  it('prints just the heading for no rows, and keeps a multi-line value on one line', () => {
    expect(formatTable([], columns)).toEqual(['ID  NAME  STATUS']);
    expect(formatTable([{ id: 1, name: 'a\n  b', status: 'x' }], columns)).toEqual(['ID  NAME  STATUS', ' 1  a b   x']);
  });
});

describe('relativeTime', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it.each([
    ['2026-12-03T11:59:55Z', 'just now'],
    ['2026-12-03T11:57:00Z', '3m ago'],
    ['2026-12-03T09:30:00Z', '2h ago'],
    ['2026-11-30T12:00:00Z', '3d ago'],
    ['2026-12-03T14:00:00Z', 'in 2h'],
  ])('%s is %s', (iso, text) => {
    expect(relativeTime(iso, now)).toBe(text);
  });
  it('leaves nothing for no time and the text for an unreadable one', () => {
    expect(relativeTime(null, now)).toBe('');
    expect(relativeTime('soon', now)).toBe('soon');
  });
});

describe('formatDuration and formatBytes', () => {
  it.each([
    [0, '0s'],
    [7, '7s'],
    [250, '4m10s'],
    [3600, '1h00m'],
    [3725, '1h02m'],
    [2 * 86400 + 3 * 3600, '2d03h'],
  ])('%i s → %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
  it.each([
    [512, '512 B'],
    [1536, '1.50 KiB'],
    [52.1 * 1024 * 1024, '52.1 MiB'],
    [4 * 1024 ** 3, '4.00 GiB'],
    [300 * 1024 ** 4, '300 TiB'],
  ])('%d bytes → %s', (b, text) => {
    expect(formatBytes(b)).toBe(text);
  });
});

test('formatFields aligns keys and skips empty values', () => {
  expect(formatFields([['id', 3], ['snapshot', null], ['status', 'running'], ['note', '']])).toEqual(['id      3', 'status  running']);
});
