import { asOwner, embeddedPostgresLayout, pidFileVerdict, postgresServerArgs } from './embedded-postgres';

describe('embeddedPostgresLayout', () => {
  it('puts the cluster and its socket under the data directory, and the socket in the URL', () => {
    const l = embeddedPostgresLayout('/srv/backstop/data');
    expect(l).toEqual({
      pgdata: '/srv/backstop/data/postgres',
      socketPath: '/srv/backstop/data/postgres/.s.PGSQL.5432',
      databaseUrl: 'postgresql://postgres@/postgres?host=%2Fsrv%2Fbackstop%2Fdata%2Fpostgres&port=5432',
    });
  });

  it('refuses a data directory whose socket path would not fit in a Unix socket address', () => {
    expect(() => embeddedPostgresLayout(`/${'x'.repeat(90)}`)).toThrow(/more than a Unix socket allows .*BACKSTOP_DATA_DIR/);
  });
});

describe('postgresServerArgs', () => {
  it('listens on the socket only', () => {
    const args = postgresServerArgs(embeddedPostgresLayout('/d'));
    expect(args).toEqual(['-D', '/d/postgres', '-k', '/d/postgres', '-p', '5432', '-c', 'listen_addresses=', '-c', 'unix_socket_permissions=0700']);
  });
});

describe('asOwner', () => {
  it('runs as the postgres user through setpriv when we are root', () => {
    expect(asOwner({ asRoot: true, uid: 101, gid: 104 }, 'initdb', ['-D', '/d'])).toEqual({ command: 'setpriv', args: ['--reuid', '101', '--regid', '104', '--init-groups', '--', 'initdb', '-D', '/d'] });
  });

  it('runs directly as ourselves otherwise, with a parent-death signal when asked', () => {
    expect(asOwner({ asRoot: false, uid: 1000, gid: 1000 }, 'initdb', ['-D', '/d'])).toEqual({ command: 'initdb', args: ['-D', '/d'] });
    expect(asOwner({ asRoot: false, uid: 1000, gid: 1000 }, 'postgres', ['-D', '/d'], { pdeathsig: 'INT' })).toEqual({ command: 'setpriv', args: ['--pdeathsig', 'INT', '--', 'postgres', '-D', '/d'] });
  });
});

describe('pidFileVerdict', () => {
  const pgdata = '/data/postgres';
  const file = (pid: number) => `${pid}\n${pgdata}\n1700000000\n5432\n`;
  it('has nothing to do without a pid file', () => {
    expect(pidFileVerdict(null, () => null, pgdata)).toBe('none');
  });
  it('calls the file stale when its process is gone', () => {
    expect(pidFileVerdict(file(4242), () => null, pgdata)).toBe('stale');
  });
  it('calls the file stale when its PID now belongs to another program', () => {
    expect(pidFileVerdict(file(4242), () => 'node\0server.js\0', pgdata)).toBe('stale');
  });
  it('calls the file stale for a postgres of another cluster', () => {
    expect(pidFileVerdict(file(4242), () => '/usr/lib/postgresql/15/bin/postgres\0-D\0/elsewhere\0', pgdata)).toBe('stale');
  });
  it('sees a postgres of this cluster still running', () => {
    expect(pidFileVerdict(file(4242), () => '/usr/lib/postgresql/15/bin/postgres\0-D\0/data/postgres\0-k\0/data/postgres\0', pgdata)).toBe('running');
  });
  it('calls garbage stale', () => {
    expect(pidFileVerdict('not a pid\n', () => 'x', pgdata)).toBe('stale');
  });
});
