import { backupArgs, resticEnv, snapshotsArgs, unlockArgs } from './args';

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

  it('never puts the password in argv', () => {
    const args = backupArgs({ paths: ['/a'], excludes: [], tags: [], host: 'h' });
    expect(args.join(' ')).not.toMatch(/password/i);
    expect(resticEnv('/repo', 's3cret')).toMatchObject({ RESTIC_REPOSITORY: '/repo', RESTIC_PASSWORD: 's3cret' });
  });

  it('filters snapshots by tag', () => {
    expect(snapshotsArgs('t=1')).toEqual(['snapshots', '--json', '--tag', 't=1']);
    expect(snapshotsArgs()).toEqual(['snapshots', '--json']);
  });

  it('unlocks only stale locks', () => {
    expect(unlockArgs()).not.toContain('--remove-all');
  });
});
