import { drillCheckScope, drillDataRead } from './check-scope';

test('the evidence names the bounded check as the engine runs it', () => {
  const settings = { readDataPercent: 5, verifyArchives: 2 };
  expect(drillDataRead('restic', settings)).toEqual({ readDataPercent: 5, lastArchives: 2, besideBackups: true });
  expect(drillCheckScope('restic', drillDataRead('restic', settings))).toBe('restic check --no-lock --read-data-subset=5%');
  expect(drillCheckScope('restic', drillDataRead('restic', { ...settings, readDataPercent: 0 }))).toBe('restic check --no-lock');
  // borg check locks the repository itself: the drill holds the exclusive repository lock instead.
  expect(drillDataRead('borg', settings).besideBackups).toBe(false);
  expect(drillCheckScope('borg', drillDataRead('borg', settings))).toBe('borg check --verify-data --last 2');
});
