import { MOUNT_TTL, expiryAfterUse, idleRemainingMs, mountTtlMs } from './snapshot-mount';

test('TTL: default 30 min; bounded to 1 min … 24 h in whole seconds', () => {
  expect(mountTtlMs(undefined)).toBe(MOUNT_TTL.defaultMs);
  expect(MOUNT_TTL.defaultMs).toBe(30 * 60_000);
  expect(mountTtlMs(60)).toBe(60_000);
  expect(mountTtlMs(86_400)).toBe(86_400_000);
  for (const bad of [59, 86_401, 0, -5, 1.5]) expect(() => mountTtlMs(bad)).toThrow(RangeError);
});

test('a use pushes the expiry to now + TTL, never back', () => {
  expect(expiryAfterUse(1_000, 500, 1_000)).toBe(1_500);
  expect(expiryAfterUse(5_000, 500, 1_000)).toBe(5_000);
});

test('idle time left never goes negative', () => {
  expect(idleRemainingMs(2_000, 500)).toBe(1_500);
  expect(idleRemainingMs(2_000, 2_000)).toBe(0);
  expect(idleRemainingMs(2_000, 9_000)).toBe(0);
});
