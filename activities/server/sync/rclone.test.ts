import { listArgs, rcloneEnv, remotePath, syncArgs, transferFlags, type SyncTargetAccess } from './rclone';

const target: SyncTargetAccess = {
  endpoint: 'http://127.0.0.1:8333',
  bucket: 'offsite',
  prefix: 'hosts/web1',
  region: null,
  accessKeyId: 'AKIA-VISIBLE-ONLY-IN-ENV',
  secretAccessKey: 'wJalr-very-secret-key',
};

describe('rclone command lines', () => {
  it('mirrors a local repository to an on-the-fly remote with JSON stats every second', () => {
    expect(syncArgs('/srv/repo', target, { bandwidthLimit: '10M', transfers: 8, checksum: true, marker: 'backstop-run=s3-sync/repository-1/t' })).toEqual([
      'sync', '/srv/repo/', 'backstop:offsite/hosts/web1/',
      '--use-json-log', '--stats', '1s', '--stats-log-level', 'NOTICE',
      '--exclude', '/locks/**',
      '--transfers', '8', '--bwlimit', '10M', '--checksum',
      '--user-agent', 'backstop-run=s3-sync/repository-1/t',
    ]);
  });

  it('leaves out the optional flags it was not given', () => {
    expect(transferFlags({ bandwidthLimit: null, transfers: null, checksum: false })).toEqual(['--exclude', '/locks/**']);
  });

  it('never puts a key in argv; the remote lives in the environment', () => {
    const args = [...syncArgs('/srv/repo', target, { bandwidthLimit: null, transfers: null, checksum: false }), ...listArgs(remotePath(target))];
    expect(args.join(' ')).not.toContain(target.secretAccessKey);
    expect(args.join(' ')).not.toContain(target.accessKeyId);
    expect(rcloneEnv(target)).toEqual({
      RCLONE_CONFIG: '/dev/null',
      RCLONE_CONFIG_BACKSTOP_TYPE: 's3',
      RCLONE_CONFIG_BACKSTOP_PROVIDER: 'Other',
      RCLONE_CONFIG_BACKSTOP_ENV_AUTH: 'false',
      RCLONE_CONFIG_BACKSTOP_ENDPOINT: 'http://127.0.0.1:8333',
      RCLONE_CONFIG_BACKSTOP_REGION: 'us-east-1',
      RCLONE_CONFIG_BACKSTOP_ACCESS_KEY_ID: target.accessKeyId,
      RCLONE_CONFIG_BACKSTOP_SECRET_ACCESS_KEY: target.secretAccessKey,
    });
  });

  it('addresses the bucket root and trims slashes of a prefix', () => {
    expect(remotePath({ bucket: 'b', prefix: '' })).toBe('backstop:b/');
    expect(remotePath({ bucket: 'b', prefix: '/a/b/' })).toBe('backstop:b/a/b/');
  });

  it('lists objects recursively, files only, without lock files', () => {
    expect(listArgs('/srv/repo/')).toEqual(['lsjson', '-R', '--files-only', '--fast-list', '--use-json-log', '--exclude', '/locks/**', '/srv/repo/']);
  });
});
