import { forgetArgs, policyArgs, pruneArgs } from './forget-args';

describe('retention command lines', () => {
  it('turns every rule of a policy into restic flags', () => {
    expect(
      policyArgs({ keepLast: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 2, keepWithin: '1y2m', keepTags: ['keep', 'a,b'] }),
    ).toEqual([
      '--keep-last', '3', '--keep-hourly', '24', '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12', '--keep-yearly', '2',
      '--keep-within', '1y2m', '--keep-tag', 'keep', '--keep-tag', 'a,b',
    ]);
  });

  it('leaves out zero counts', () => {
    expect(policyArgs({ keepLast: 0, keepDaily: 2 })).toEqual(['--keep-daily', '2']);
  });

  it('forgets one job by its tag, grouped by host and paths', () => {
    expect(forgetArgs({ tags: ['backstop-job=4'], policy: { keepLast: 2 }, dryRun: false })).toEqual([
      'forget', '--json', '--group-by', 'host,paths', '--tag', 'backstop-job=4', '--keep-last', '2',
    ]);
  });

  it('previews without a lock only as a dry run', () => {
    expect(forgetArgs({ tags: ['t'], policy: { keepLast: 1 }, dryRun: true, noLock: true })).toEqual(
      expect.arrayContaining(['--dry-run', '--no-lock']),
    );
    expect(forgetArgs({ tags: ['t'], policy: { keepLast: 1 }, dryRun: false, noLock: true })).not.toContain('--no-lock');
  });

  it('prunes with restic defaults', () => {
    expect(pruneArgs()).toEqual(['prune']);
  });
});
