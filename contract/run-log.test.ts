import { admitLines, boundLine, TRUNCATED_SUFFIX } from './run-log';

describe('boundLine', () => {
  it('keeps an ordinary line as it is', () => {
    expect(boundLine('scan finished in 1.2s')).toBe('scan finished in 1.2s');
  });

  it('cuts a long line to the limit, marking the cut', () => {
    const out = boundLine('x'.repeat(50), 20);
    expect(out).toHaveLength(20);
    expect(out.endsWith(TRUNCATED_SUFFIX)).toBe(true);
  });

  it('removes terminal escapes, control characters and a trailing CR', () => {
    expect(boundLine('\x1b[31mred\x1b[0m text\x07\r')).toBe('red text');
    expect(boundLine('a\tb')).toBe('a\tb');
  });
});

describe('admitLines', () => {
  it('takes everything while there is room', () => {
    expect(admitLines(0, 10, 100)).toEqual({ take: 10, markLimit: false });
  });

  it('fills up to the limit less one and asks for the marker once', () => {
    expect(admitLines(95, 10, 100)).toEqual({ take: 4, markLimit: true });
    expect(admitLines(99, 10, 100)).toEqual({ take: 0, markLimit: true });
    // The marker took the last slot: nothing more, and no second marker.
    expect(admitLines(100, 10, 100)).toEqual({ take: 0, markLimit: false });
  });

  it('exactly fills the room without a marker', () => {
    expect(admitLines(90, 9, 100)).toEqual({ take: 9, markLimit: false });
  });
});
