import { createDbArgs, databaseExistsSql, dropDbArgs, pgBin, pgDumpArgs, pgEnv, pgPseudoPath, pgRestoreArgs, psqlQueryArgs, psqlRowsArgs, READ_ONLY_SESSION, TABLE_ROWS_SQL } from './postgres-commands';
import { parseTableRows } from './dump-steps';

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

describe('restore drill probes', () => {
  it('counts every table exactly, in the scratch database, tab-separated', () => {
    expect(psqlRowsArgs(TABLE_ROWS_SQL, 'backstop_drill_0b9a3c1e_0')).toEqual([
      '--no-password', '--no-psqlrc', '--tuples-only', '--no-align', '--field-separator', '\t', '--dbname', 'backstop_drill_0b9a3c1e_0', '--command', TABLE_ROWS_SQL,
    ]);
    expect(TABLE_ROWS_SQL).toContain('count(*)');
    expect(TABLE_ROWS_SQL).not.toContain('reltuples');
    expect(READ_ONLY_SESSION.PGOPTIONS).toBe('-c default_transaction_read_only=on');
  });

  it('reads name and rows from each line, a tab inside a name included', () => {
    expect(parseTableRows(['public.items\t2000', 'public."odd\tname"\t3', '', 'garbage', 'public.x\tnot-a-number'])).toEqual([
      { name: 'public.items', rows: 2000 },
      { name: 'public."odd\tname"', rows: 3 },
    ]);
    expect(parseTableRows(['a\t1', 'b\t2', 'c\t3'], 2)).toHaveLength(2);
  });
});
