import { archiveRef, borgEnv, borgExclude, checkArgs, createArgs, repoLocation, snapshotPaths, unlockStaleArgs } from './args';
import { UnsupportedByEngineError } from '../../../../contract/errors';

describe('borgEnv', () => {
  test('the passphrase, UTC, stale-lock removal on this host, no prompts, the base dir and the repo env', () => {
    expect(borgEnv({ password: 'pw', env: { AWS_X: '1' } }, '/var/lib/backstop/borg')).toEqual({
      AWS_X: '1',
      BORG_PASSPHRASE: 'pw',
      TZ: 'UTC',
      BORG_HOSTNAME_IS_UNIQUE: 'yes',
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'no',
      BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'no',
      BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'NO',
      BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: 'NO',
      BORG_BASE_DIR: '/var/lib/backstop/borg',
    });
  });

  test('the repository env cannot override the passphrase', () => {
    expect(borgEnv({ password: 'pw', env: { BORG_PASSPHRASE: 'other' } }).BORG_PASSPHRASE).toBe('pw');
  });
});

describe('locations', () => {
  test('local paths absolute; ssh and scp-style left alone', () => {
    expect(repoLocation('/srv/borg')).toBe('/srv/borg');
    expect(repoLocation('ssh://u@h:22/./repo')).toBe('ssh://u@h:22/./repo');
    expect(repoLocation('u@h:repo')).toBe('u@h:repo');
    expect(repoLocation('rel/repo')).toBe(`${process.cwd()}/rel/repo`);
    expect(archiveRef('/srv/borg', 'n')).toBe('/srv/borg::n');
  });
});

describe('borgExclude', () => {
  test('absolute patterns from the root, relative ones anywhere', () => {
    expect(borgExclude('/var/cache')).toBe('sh:var/cache');
    expect(borgExclude('/srv/*/tmp/')).toBe('sh:srv/*/tmp');
    expect(borgExclude('*.log')).toBe('sh:**/*.log');
    expect(borgExclude('node_modules')).toBe('sh:**/node_modules');
  });

  test('negation and environment variables are refused', () => {
    expect(() => borgExclude('!keep.log')).toThrow(UnsupportedByEngineError);
    expect(() => borgExclude('$HOME/x')).toThrow(UnsupportedByEngineError);
  });
});

describe('createArgs', () => {
  const base = { paths: ['/srv/www', '/etc'], excludes: ['*.log'], tags: ['backstop-run=backup/1/t', 'backstop-job=1'], host: 'web1' };

  test('files: json, progress, list, the comment, excludes, then the archive and paths after --', () => {
    expect(createArgs('/repo', base)).toEqual([
      'create', '--json', '--progress', '--list', '--log-json', '--lock-wait', '10',
      '--comment', '{{"backstop":1,"tags":["backstop-run=backup/1/t","backstop-job=1"],"host":"web1","paths":["/srv/www","/etc"]}}',
      '--exclude', 'sh:**/*.log',
      '/repo::backstop-job=1.backstop-run=backup_1_t', '--', '/srv/www', '/etc',
    ]);
  });

  test('ignoreInode keeps the inode out of the files cache', () => {
    expect(createArgs('/repo', { ...base, ignoreInode: true })).toContain('mtime,size');
  });

  test('a stream: content from the command after --, named without the leading /', () => {
    const args = createArgs('/repo', { ...base, paths: ['/db.sql'], stdin: { filename: '/db.sql', command: ['pg_dump', '-Fc'] } });
    expect(args.slice(-6)).toEqual(['--stdin-name', 'db.sql', '/repo::backstop-job=1.backstop-run=backup_1_t', '--', 'pg_dump', '-Fc']);
    expect(args).not.toContain('--exclude');
    expect(snapshotPaths({ paths: ['/db.sql'], stdin: { filename: 'db.sql', command: [] } })).toEqual(['/db.sql']);
  });

  test('unlockStale takes a shared lock with a short wait', () => {
    expect(unlockStaleArgs('/repo')).toEqual(['list', '--log-json', '--lock-wait', '1', '--last', '1', '--short', '/repo']);
  });
});

describe('checkArgs', () => {
  test('the structure only, or with the data of the newest archives verified', () => {
    expect(checkArgs('/r')).toEqual(['check', '--log-json', '--lock-wait', '10', '/r']);
    expect(checkArgs('/r', { readDataPercent: 5, lastArchives: 2, besideBackups: true })).toEqual(['check', '--log-json', '--lock-wait', '10', '--verify-data', '--last', '2', '/r']);
  });
});
