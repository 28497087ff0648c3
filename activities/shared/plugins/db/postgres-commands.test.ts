import { createDbArgs, databaseExistsSql, dropDbArgs, pgBin, pgDumpArgs, pgEnv, pgPseudoPath, pgRestoreArgs, psqlQueryArgs } from './postgres-commands';

describe('PostgreSQL command lines', () => {
  it('puts connection and password in the environment, never in argv', () => {
    const c = { host: 'db.example', port: 5433, user: 'backup', password: 's3cret' };
    expect(pgEnv(c)).toEqual({ PGHOST: 'db.example', PGPORT: '5433', PGUSER: 'backup', PGPASSWORD: 's3cret', PGCONNECT_TIMEOUT: '10' });
    for (const argv of [pgDumpArgs('app'), pgDumpArgs('app', '/w/app.dump'), psqlQueryArgs('SELECT 1'), createDbArgs('x'), dropDbArgs('x'), pgRestoreArgs('x')]) {
      expect(argv.join(' ')).not.toContain('s3cret');
      expect(argv).toContain('--no-password');
    }
  });

  it('dumps in custom format to stdout or a file', () => {
    expect(pgDumpArgs('app')).toEqual(['--format=custom', '--no-password', '--dbname', 'app']);
    expect(pgDumpArgs('app', '/w/app.dump')).toEqual(['--format=custom', '--no-password', '--file', '/w/app.dump', '--dbname', 'app']);
  });

  it('restores from stdin, stopping at the first error, and drops with --force', () => {
    expect(pgRestoreArgs('app_copy')).toEqual(['--no-password', '--no-owner', '--exit-on-error', '--dbname', 'app_copy']);
    expect(dropDbArgs('app')).toEqual(['--no-password', '--maintenance-db=postgres', '--if-exists', '--force', 'app']);
    expect(databaseExistsSql('app')).toBe(`SELECT 1 FROM pg_database WHERE datname = 'app'`);
  });

  it('names binaries and pseudo paths', () => {
    expect(pgBin({}, 'pg_dump')).toBe('pg_dump');
    expect(pgBin({ binDir: '/usr/lib/postgresql/15/bin' }, 'pg_restore')).toBe('/usr/lib/postgresql/15/bin/pg_restore');
    expect(pgPseudoPath(4, 'app')).toBe('/backstop/pg_dump/config-4/app.dump');
  });
});
