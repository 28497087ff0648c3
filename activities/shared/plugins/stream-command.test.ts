import { execFileSync } from 'node:child_process';
import { engineOnlyEnv, streamCommandArgv } from './stream-command';

describe('streamCommandArgv', () => {
  it('hides the repository password and backend keys from the stream command', () => {
    const argv = streamCommandArgv('pg_dump', ['--dbname', 'app'], engineOnlyEnv({ AWS_SECRET_ACCESS_KEY: 'k', AWS_ACCESS_KEY_ID: 'i' }));
    expect(argv).toEqual([
      'env', '-u', 'AWS_ACCESS_KEY_ID', '-u', 'AWS_SECRET_ACCESS_KEY',
      '-u', 'BORG_BASE_DIR', '-u', 'BORG_KEY_FILE', '-u', 'BORG_PASSCOMMAND', '-u', 'BORG_PASSPHRASE', '-u', 'BORG_PASSPHRASE_FD', '-u', 'BORG_REPO', '-u', 'BORG_RSH',
      '-u', 'RESTIC_PASSWORD', '-u', 'RESTIC_PASSWORD_COMMAND', '-u', 'RESTIC_PASSWORD_FILE', '-u', 'RESTIC_REPOSITORY',
      '--', 'pg_dump', '--dbname', 'app',
    ]);
  });

  it('really removes them (env(1) on this machine)', () => {
    const argv = streamCommandArgv('/bin/sh', ['-c', 'echo "[$RESTIC_PASSWORD][$BORG_PASSPHRASE][$BORG_RSH][$PGPASSWORD]"'], engineOnlyEnv({}));
    const env = { PATH: process.env.PATH, RESTIC_PASSWORD: 'repo-secret', BORG_PASSPHRASE: 'borg-secret', BORG_RSH: 'ssh -i /k', PGPASSWORD: 'db' };
    const out = execFileSync(argv[0]!, argv.slice(1), { env }).toString();
    expect(out.trim()).toBe('[][][][db]');
  });
});
