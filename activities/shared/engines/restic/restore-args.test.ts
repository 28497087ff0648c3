import { dumpArgs, literalPattern, lsArgs, lsTreeArgs, restoreCommandArgs, restorePlanArgs } from './restore-args';

describe('restic restore/ls/dump command lines', () => {
  it('restores with restic defaults when no options are given', () => {
    expect(restoreCommandArgs('abc123', '/restores/x')).toEqual(['restore', '--json', '--target', '/restores/x', '--', 'abc123']);
  });

  it('passes overwrite, includes and verify', () => {
    expect(restoreCommandArgs('abc123', '/', { overwrite: 'if-newer', include: ['/srv/a', '*.conf'], verify: true })).toEqual([
      'restore', '--json', '--target', '/',
      '--overwrite', 'if-newer',
      '--include', '/srv/a', '--include', '*.conf',
      '--verify',
      '--', 'abc123',
    ]);
  });

  it.each(['always', 'if-changed', 'if-newer', 'never'] as const)('maps overwrite %s onto restic flag', (policy) => {
    const args = restoreCommandArgs('s', '/t', { overwrite: policy });
    expect(args[args.indexOf('--overwrite') + 1]).toBe(policy);
  });

  it('plans with a dry run that lists every item, keeping policy and includes but not verify', () => {
    expect(restorePlanArgs('abc123', '/t', { overwrite: 'never', include: ['/srv/a'], verify: true })).toEqual([
      'restore', '--json', '--target', '/t',
      '--overwrite', 'never',
      '--include', '/srv/a',
      '--dry-run', '-vv',
      '--', 'abc123',
    ]);
  });

  it('restores exact paths as patterns that match only themselves', () => {
    expect(literalPattern('/srv/a [1] *?.txt')).toBe('/srv/a \\[1\\] \\*\\?.txt');
    expect(literalPattern('/srv/back\\slash')).toBe('/srv/back\\\\slash');
    expect(restoreCommandArgs('s', '/scratch', { paths: ['/srv/x*', '/srv/b'], verify: true })).toEqual([
      'restore', '--json', '--target', '/scratch',
      '--include', '/srv/x\\*', '--include', '/srv/b',
      '--verify',
      '--', 's',
    ]);
  });

  it('lists a whole snapshot for a drill without a lock', () => {
    expect(lsTreeArgs('abc')).toEqual(['ls', '--json', '--no-lock', '--', 'abc']);
  });

  it('browses without taking a repository lock', () => {
    expect(lsArgs('abc', '/srv')).toEqual(['ls', '--json', '--no-lock', '--', 'abc', '/srv']);
    expect(dumpArgs('abc', '/srv/a.txt')).toEqual(['dump', '--no-lock', '--', 'abc', '/srv/a.txt']);
  });
});
