import { BackstopError, ErrorType } from './errors';
import { checkRetentionPolicy, isRetentionDuration, type RetentionPolicy } from './retention';

function refusal(policy: RetentionPolicy): BackstopError {
  try {
    checkRetentionPolicy(policy);
  } catch (err) {
    return err as BackstopError;
  }
  throw new Error(`accepted ${JSON.stringify(policy)}`);
}

describe('checkRetentionPolicy', () => {
  it.each<RetentionPolicy>([
    { keepLast: 1 },
    { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3 },
    { keepHourly: 24, keepLast: 0 },
    { keepWithin: '30d' },
    { keepWithin: '1y2m3d4h' },
    { keepTags: ['keep'] },
    { keepTags: ['a,b'], keepLast: 0 },
  ])('accepts %j', (policy) => {
    expect(checkRetentionPolicy(policy)).toBe(policy);
  });

  it.each<RetentionPolicy>([{}, { keepLast: 0, keepDaily: 0 }, { keepWithin: '0d' }, { keepTags: [] }, { keepWithin: '0y0h', keepYearly: 0 }])(
    'refuses %j, which keeps nothing',
    (policy) => {
      const err = refusal(policy);
      expect(err.type).toBe(ErrorType.input);
      expect(err.message).toMatch(/must keep something/);
    },
  );

  it.each<[RetentionPolicy, string]>([
    [{ keepLast: -1 }, 'keepLast'],
    [{ keepDaily: 1.5 }, 'keepDaily'],
    [{ keepWithin: '30 days' }, 'keepWithin'],
    [{ keepWithin: '' }, 'keepWithin'],
    [{ keepLast: 1, keepTags: [''] }, 'keepTags/0'],
    [{ keepLast: 1, keepTags: ['--unsafe-allow-remove-all'] }, 'keepTags/0'],
  ])('refuses %j at %s', (policy, path) => {
    const err = refusal(policy);
    expect(err.message).toBe('invalid retention policy');
    expect(err.details?.errors).toEqual([expect.objectContaining({ path })]);
  });
});

describe('isRetentionDuration', () => {
  it.each([
    ['1y', true],
    ['5m', true],
    ['7d', true],
    ['2h', true],
    ['1y5m7d2h', true],
    ['2h1d', false],
    ['d', false],
    ['1w', false],
    ['-1d', false],
    ['1.5d', false],
  ])('%s → %s', (text, ok) => {
    expect(isRetentionDuration(text)).toBe(ok);
  });
});
