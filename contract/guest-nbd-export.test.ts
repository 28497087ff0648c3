import { EXPORT_TTL, exportTtlMs } from './guest-nbd-export';

describe('exportTtlMs', () => {
  it('is null without a TTL (until released), milliseconds within the bounds', () => {
    expect(exportTtlMs(undefined)).toBeNull();
    expect(exportTtlMs(EXPORT_TTL.minSeconds)).toBe(EXPORT_TTL.minSeconds * 1000);
    expect(exportTtlMs(3600)).toBe(3_600_000);
  });

  it('refuses a TTL out of bounds or not whole', () => {
    for (const bad of [EXPORT_TTL.minSeconds - 1, EXPORT_TTL.maxSeconds + 1, 10.5]) expect(() => exportTtlMs(bad)).toThrow(RangeError);
  });
});
