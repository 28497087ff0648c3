import { bytesReadBy, parseReadChars } from './process-io';

describe('process read counters', () => {
  it('reads rchar from /proc/<pid>/io text', () => {
    expect(parseReadChars('rchar: 123456\nwchar: 99\nsyscr: 12\n')).toBe(123456);
    expect(parseReadChars('wchar: 99\n')).toBeNull();
  });

  it('reads this process, and gives null for a process that does not exist', () => {
    expect(bytesReadBy(process.pid)).toBeGreaterThan(0);
    expect(bytesReadBy(2 ** 22 + 12345)).toBeNull();
  });
});
