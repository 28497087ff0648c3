import type { RepositoryAccess } from '../../../../contract/engine';
import { backupArgs, catalogDumpArgs, checkRestoreOptions, forgetSnapshotArgs, notesUpdateArgs, pbsEnv, policyArgs, pruneArgs, restoreArgs, snapshotListArgs } from './args';

const FP = Array.from({ length: 32 }, () => 'ab').join(':');
const repo = (pbs: Partial<NonNullable<RepositoryAccess['pbs']>> = {}): RepositoryAccess => ({
  engine: 'pbs',
  url: 'backup@pbs!backstop@pbs.example.com:store1',
  password: 'token-secret-123',
  pbs: { fingerprint: FP, ...pbs },
});

describe('proxmox-backup-client environment', () => {
  it('carries the repository, the secrets and the fingerprint', () => {
    expect(pbsEnv(repo({ encryptionPassword: 'key-pw' }))).toEqual({
      PBS_REPOSITORY: 'backup@pbs!backstop@pbs.example.com:store1',
      PBS_PASSWORD: 'token-secret-123',
      PBS_FINGERPRINT: FP,
      PBS_ENCRYPTION_PASSWORD: 'key-pw',
      TZ: 'UTC',
    });
    expect(pbsEnv(repo())).not.toHaveProperty('PBS_ENCRYPTION_PASSWORD');
  });

  it('refuses a repository without PBS details or with a bad URL', () => {
    expect(() => pbsEnv({ ...repo(), pbs: undefined })).toThrow(/fingerprint/);
    expect(() => pbsEnv({ ...repo(), url: '/srv/repo' })).toThrow(/invalid PBS repository/);
  });
});

describe('proxmox-backup-client command lines', () => {
  const secrets = ['token-secret-123', 'key-pw', '{"kdf":null'];
  const everyArgv = (r: RepositoryAccess) => [
    backupArgs({ paths: ['/srv/www'], excludes: [], tags: ['t'], host: 'web1' }, r, '/tmp/k/key.json', '/tmp/k/rec.json'),
    snapshotListArgs(r),
    notesUpdateArgs(r, 'host/web1/2025-12-03T00:40:33Z', 'backstop:{}'),
    forgetSnapshotArgs(r, 'host/web1/2025-12-03T00:40:33Z'),
    catalogDumpArgs(r, 'host/web1/2025-12-03T00:40:33Z', '/tmp/k/key.json'),
    restoreArgs(r, 'host/web1/2025-12-03T00:40:33Z', 'root.pxar', '/restore', [], '/tmp/k/key.json'),
    pruneArgs(r, 'host/web1', { keepLast: 3 }, true),
  ];

  it('never puts a secret on argv', () => {
    const r = repo({ encryptionKey: '{"kdf":null,"data":"c2VjcmV0"}', encryptionPassword: 'key-pw' });
    for (const argv of everyArgv(r)) for (const s of secrets) expect(argv.join(' ')).not.toContain(s);
  });

  it('backs up one path as root.pxar, with the record blob, namespace, excludes and key file', () => {
    expect(
      backupArgs({ paths: ['/srv/www'], excludes: ['*.tmp', '/srv/www/cache', '/elsewhere'], tags: ['backstop-run=w'], host: 'web1' }, repo({ namespace: 'prod/web' }), '/tmp/d/key.json', '/tmp/d/rec.json'),
    ).toEqual([
      'backup', 'root.pxar:/srv/www', 'backstop.conf:/tmp/d/rec.json',
      '--backup-type', 'host', '--backup-id', 'web1', '--ns', 'prod/web',
      '--change-detection-mode', 'metadata',
      '--exclude', '*.tmp', '--exclude', '/cache',
      '--keyfile', '/tmp/d/key.json',
    ]);
  });

  it('names one archive per path when there are several, and never uses the default key', () => {
    const args = backupArgs({ paths: ['/etc', '/srv/my data', '/var/www/data', '/'], excludes: ['**/*.log'], tags: [], host: 'h' }, repo(), null, '/r');
    expect(args.slice(1, 6)).toEqual(['etc.pxar:/etc', 'my_data.pxar:/srv/my data', 'data.pxar:/var/www/data', 'root.pxar:/', 'backstop.conf:/r']);
    expect(args).not.toContain('--ns');
    expect(args.slice(-2)).toEqual(['--crypt-mode', 'none']);
  });

  it('refuses what the client cannot back up', () => {
    expect(() => backupArgs({ paths: ['/x'], excludes: [], tags: [], host: 'h', stdin: { filename: '/x', command: ['pg_dump'] } }, repo(), null, '/r')).toThrow(/cannot store a command's output/);
    expect(() => backupArgs({ paths: ['/a', '/b'], excludes: ['/a/cache'], tags: [], host: 'h' }, repo(), null, '/r')).toThrow(/exclude an absolute path/);
  });

  it('lists, annotates, forgets and dumps within the namespace', () => {
    const r = repo({ namespace: 'prod' });
    expect(snapshotListArgs(r)).toEqual(['snapshot', 'list', '--ns', 'prod', '--output-format', 'json']);
    expect(notesUpdateArgs(r, 'host/a/2025-01-01T00:00:00Z', 'n')).toEqual(['snapshot', 'notes', 'update', 'host/a/2025-01-01T00:00:00Z', 'n', '--ns', 'prod']);
    expect(forgetSnapshotArgs(r, 'host/a/2025-01-01T00:00:00Z')).toEqual(['snapshot', 'forget', 'host/a/2025-01-01T00:00:00Z', '--ns', 'prod']);
    expect(catalogDumpArgs(r, 'host/a/2025-01-01T00:00:00Z', null)).toEqual(['catalog', 'dump', 'host/a/2025-01-01T00:00:00Z', '--ns', 'prod']);
  });

  it('restores an archive over existing files, limited by patterns', () => {
    expect(restoreArgs(repo(), 'host/a/2025-01-01T00:00:00Z', 'root.pxar', '/restore/srv/www', ['/etc/hostname'], null)).toEqual([
      'restore', 'host/a/2025-01-01T00:00:00Z', 'root.pxar', '/restore/srv/www', '--allow-existing-dirs', '--overwrite', '--pattern', '/etc/hostname',
    ]);
  });

  it('accepts only the overwrite policy the client has, and no verification', () => {
    expect(() => checkRestoreOptions({})).not.toThrow();
    expect(() => checkRestoreOptions({ overwrite: 'always' })).not.toThrow();
    for (const o of ['never', 'if-changed', 'if-newer'] as const) expect(() => checkRestoreOptions({ overwrite: o })).toThrow(/pbs repositories cannot restore with overwrite/);
    expect(() => checkRestoreOptions({ verify: true })).toThrow(/cannot verify a restore/);
  });
});

describe('retention policy as prune flags', () => {
  it('maps every count it has', () => {
    expect(policyArgs({ keepLast: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 2 })).toEqual([
      '--keep-last', '3', '--keep-hourly', '24', '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12', '--keep-yearly', '2',
    ]);
    expect(policyArgs({ keepDaily: 7, keepWeekly: 0 })).toEqual(['--keep-daily', '7']);
  });

  it('refuses keepWithin and keepTags, and a policy that keeps nothing', () => {
    expect(() => policyArgs({ keepLast: 1, keepWithin: '30d' })).toThrow(/keepWithin/);
    expect(() => policyArgs({ keepLast: 1, keepTags: ['keep'] })).toThrow(/keepTags/);
    expect(() => policyArgs({ keepLast: 0 })).toThrow(/keeps nothing/);
    try {
      policyArgs({ keepWithin: '1d' });
    } catch (e) {
      expect((e as Error).name).toBe('InputError');
    }
  });

  it('builds a dry-run prune of one group with JSON output', () => {
    expect(pruneArgs(repo({ namespace: 'p' }), 'host/web1', { keepLast: 2 }, true)).toEqual(['prune', 'host/web1', '--keep-last', '2', '--ns', 'p', '--dry-run', '--output-format', 'json']);
    expect(pruneArgs(repo(), 'host/web1', { keepLast: 2 }, false)).not.toContain('--dry-run');
  });
});
