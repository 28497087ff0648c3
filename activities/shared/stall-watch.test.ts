import { StallWatch, describeFilesBytes, formatBytes, formatDuration, stallReason, type StallClock } from './stall-watch';

/** A clock the test moves by hand; timers fire when it passes them. */
function manualClock(): StallClock & { advance(ms: number): void } {
  let now = 0;
  const timers = new Map<number, { fn: () => void; every: number; next: number }>();
  let ids = 0;
  return {
    now: () => now,
    setInterval(fn, ms) {
      const id = ++ids;
      timers.set(id, { fn, every: ms, next: now + ms });
      return id;
    },
    clearInterval(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.values()].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.every;
        due.fn();
      }
      now = end;
    },
  };
}

describe('StallWatch', () => {
  it('fires once the fingerprint has not changed for the timeout', () => {
    const clock = manualClock();
    const stalls: number[] = [];
    const w = new StallWatch({ timeoutMs: 1_000, clock, onStall: (ms) => stalls.push(ms) }).start();
    w.observe('1/100');
    clock.advance(999);
    expect(stalls).toEqual([]);
    clock.advance(1);
    expect(stalls).toEqual([1_000]);
    expect(w.stalled).toBe(true);
    clock.advance(10_000);
    expect(stalls).toHaveLength(1);
  });

  it('is reset by a changed fingerprint only, never by the same one reported again (a heartbeat)', () => {
    const clock = manualClock();
    const stalls: number[] = [];
    const w = new StallWatch({ timeoutMs: 1_000, clock, onStall: (ms) => stalls.push(ms) }).start();
    for (let i = 0; i < 5; i++) {
      clock.advance(600);
      w.observe(`${i}`);
    }
    expect(stalls).toEqual([]);
    // Same numbers, every 100 ms: alive and talking, but not moving.
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      w.observe('4');
    }
    expect(stalls).toEqual([1_000]);
  });

  it('counts the time before the first observation', () => {
    const clock = manualClock();
    const w = new StallWatch({ timeoutMs: 500, clock, onStall: () => undefined });
    clock.advance(499);
    expect(w.check()).toBe(false);
    expect(w.unchangedForMs()).toBe(499);
    clock.advance(1);
    expect(w.check()).toBe(true);
  });

  it('stops checking when stopped', () => {
    const clock = manualClock();
    const stalls: number[] = [];
    const w = new StallWatch({ timeoutMs: 100, clock, onStall: (ms) => stalls.push(ms) }).start();
    w.stop();
    clock.advance(1_000);
    expect(stalls).toEqual([]);
  });
});

describe('stall reasons', () => {
  it('formats durations as Go does', () => {
    expect(formatDuration(600_000)).toBe('10m0s');
    expect(formatDuration(90_500)).toBe('1m30s');
    expect(formatDuration(2_500)).toBe('2.5s');
    expect(formatDuration(3_000)).toBe('3s');
    expect(formatDuration(3_723_000)).toBe('1h2m3s');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(6 * 1024 ** 3 - 400 * 1024 ** 2)).toBe('5.6 GiB');
  });

  it('names the last progress, or that there was none', () => {
    expect(stallReason(null, 600_000, describeFilesBytes({ filesDone: 1234, bytesDone: 6 * 1024 **3 - 400 * 1024 ** 2, percent: 45.7 }))).toBe(
      'stalled: no progress for 10m0s after 1,234 files / 5.6 GiB (45%)',
    );
    expect(stallReason('restic backup', 3_000, null)).toBe('restic backup stalled: no progress for 3s (none reported)');
  });
});

describe('StallWatch sample', () => {
  it('polls the sample on every check, so progress without events counts', () => {
    const clock = manualClock();
    let reads = 0;
    const stalls: number[] = [];
    const w = new StallWatch({ timeoutMs: 1_000, clock, onStall: (ms) => stalls.push(ms), sample: () => String(reads) }).start();
    for (let i = 0; i < 20; i++) {
      reads += 10;
      clock.advance(300);
    }
    expect(stalls).toEqual([]);
    clock.advance(1_200);
    expect(stalls).toHaveLength(1);
    expect(w.stalled).toBe(true);
  });
});
