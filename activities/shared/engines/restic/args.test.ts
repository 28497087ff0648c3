import { backupArgs, checkArgs, formatPercent, resticEnv, snapshotsArgs, unlockArgs } from './args';

describe('restic command lines', () => {
  it('builds a backup command with tags, excludes and paths after --', () => {
    expect(
      backupArgs({ paths: ['/srv/data', '-odd'], excludes: ['*.tmp'], tags: ['backstop-run=backup/1/x', 'backstop-job=1'], host: 'web1' }),
    ).toEqual([
      'backup', '--json', '--host', 'web1',
      '--tag', 'backstop-run=backup/1/x', '--tag', 'backstop-job=1',
      '--exclude', '*.tmp',
      '--', '/srv/data', '-odd',
    ]);
  });

  it('builds a stdin backup that stores a command\'s stdout under a pseudo path', () => {
    expect(
      backupArgs({ paths: ['/backstop/pg/app.dump'], excludes: ['x'], tags: ['backstop-run=w', 'backstop-item=3/app'], host: 'db1', stdin: { filename: '/backstop/pg/app.dump', command: ['pg_dump', '-Fc', 'app'] } }),
    ).toEqual(['backup', '--json', '--host', 'db1', '--tag', 'backstop-run=w', '--tag', 'backstop-item=3/app', '--stdin-filename', '/backstop/pg/app.dump', '--stdin-from-command', '--', 'pg_dump', '-Fc', 'app']);
  });

  it('never puts the password in argv', () => {
    const args = backupArgs({ paths: ['/a'], excludes: [], tags: [], host: 'h' });
    expect(args.join(' ')).not.toMatch(/password/i);
    expect(resticEnv('/repo', 's3cret')).toMatchObject({ RESTIC_REPOSITORY: '/repo', RESTIC_PASSWORD: 's3cret' });
  });

  it('filters snapshots by tag', () => {
    expect(snapshotsArgs('t=1')).toEqual(['snapshots', '--json', '--tag', 't=1']);
    expect(snapshotsArgs()).toEqual(['snapshots', '--json']);
  });

  it('checks the structure only, or a bounded share of the data beside backups', () => {
    expect(checkArgs()).toEqual(['check']);
    expect(checkArgs({ readDataPercent: 5, lastArchives: 1, besideBackups: true })).toEqual(['check', '--no-lock', '--read-data-subset=5%']);
    expect(checkArgs({ readDataPercent: 2.5, lastArchives: 1, besideBackups: false })).toEqual(['check', '--read-data-subset=2.5%']);
    expect(checkArgs({ readDataPercent: 0, lastArchives: 1, besideBackups: true })).toEqual(['check', '--no-lock']);
    expect(formatPercent(0.05)).toBe('0.1');
    expect(formatPercent(250)).toBe('100');
  });

  it('unlocks only stale locks', () => {
    expect(unlockArgs()).not.toContain('--remove-all');
  });
});

describe('backupArgs for guest disk segments', () => {
  const req = { paths: ['/var/lib/backstop/guest/7/stage'], excludes: [], tags: ['backstop-run=guest/7/x'], host: 'pve1' };
  it('names the parent and tells unchanged segments by size and mtime', () => {
    expect(backupArgs({ ...req, segments: { parent: 'abc123', readAll: false } })).toEqual(['backup', '--json', '--host', 'pve1', '--tag', 'backstop-run=guest/7/x', '--ignore-inode', '--ignore-ctime', '--parent', 'abc123', '--', '/var/lib/backstop/guest/7/stage']);
  });
  it('reads every segment for a full read, whatever parent restic would pick', () => {
    expect(backupArgs({ ...req, segments: { parent: null, readAll: true } })).toEqual(['backup', '--json', '--host', 'pve1', '--tag', 'backstop-run=guest/7/x', '--ignore-inode', '--ignore-ctime', '--force', '--', '/var/lib/backstop/guest/7/stage']);
  });
});
