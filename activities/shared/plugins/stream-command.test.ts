import { execFileSync } from 'node:child_process';
import { resticOnlyEnv, streamCommandArgv } from './stream-command';

describe('streamCommandArgv', () => {
  it('hides the repository password and backend keys from the stream command', () => {
    const argv = streamCommandArgv('pg_dump', ['--dbname', 'app'], resticOnlyEnv({ AWS_SECRET_ACCESS_KEY: 'k', AWS_ACCESS_KEY_ID: 'i' }));
    expect(argv).toEqual([
      'env', '-u', 'AWS_ACCESS_KEY_ID', '-u', 'AWS_SECRET_ACCESS_KEY', '-u', 'RESTIC_PASSWORD', '-u', 'RESTIC_PASSWORD_COMMAND', '-u', 'RESTIC_PASSWORD_FILE', '-u', 'RESTIC_REPOSITORY',
      '--', 'pg_dump', '--dbname', 'app',
    ]);
  });

  it('really removes them (env(1) on this machine)', () => {
    const argv = streamCommandArgv('/bin/sh', ['-c', 'echo "[$RESTIC_PASSWORD][$PGPASSWORD]"'], resticOnlyEnv({}));
    const out = execFileSync(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH, RESTIC_PASSWORD: 'repo-secret', PGPASSWORD: 'db' } }).toString();
    expect(out.trim()).toBe('[][db]');
  });
});
