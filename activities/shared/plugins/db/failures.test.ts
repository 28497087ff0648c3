import { classifyDbFailure, describeDbFailure } from './failures';

// Messages as PostgreSQL 15 and MariaDB 10.11 clients print them.
describe('classifyDbFailure', () => {
  it.each([
    ['pg_dump: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?', 'connection refused'],
    ['pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "app"', 'authentication failed'],
    ['pg_dump: error: could not translate host name "no-such-host.invalid" to address: Name or service not known', 'unknown host'],
    ['pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "nope" does not exist', 'database does not exist'],
    ["mariadb-dump: Got error: 2002: \"Can't connect to server on '127.0.0.1' (115)\" when trying to connect", 'connection refused'],
    ["mariadb-dump: Got error: 1045: \"Access denied for user 'app'@'localhost' (using password: YES)\" when trying to connect", 'authentication failed'],
    ["mariadb-dump: Got error: 2005: \"Unknown server host 'no-such-host.invalid' (-2)\" when trying to connect", 'unknown host'],
    ["mariadb-dump: Got error: 1049: \"Unknown database 'nope'\" when selecting the database", 'database does not exist'],
  ])('%s', (stderr, expected) => {
    expect(classifyDbFailure(stderr)).toBe(expected);
  });

  it('describes a failure with its class and the last line, or the exit code', () => {
    expect(describeDbFailure('pg_dump', 'x\npg_dump: error: FATAL:  password authentication failed for user "app"\n', 1)).toBe(
      'pg_dump: authentication failed (pg_dump: error: FATAL:  password authentication failed for user "app")',
    );
    expect(describeDbFailure('pg_dump', '', 2)).toBe('pg_dump failed: exit code 2');
  });

  it('quotes the error line of a failed restore, not the context after it (PostgreSQL 15)', () => {
    const stderr = [
      'pg_restore: error: COPY failed for table "child": ERROR:  relation "parent" does not exist',
      'LINE 1: SELECT EXISTS (SELECT 1 FROM parent WHERE id = i)',
      '                                     ^',
      'QUERY:  SELECT EXISTS (SELECT 1 FROM parent WHERE id = i)',
      'CONTEXT:  SQL function "parent_exists" during inlining',
      'COPY child, line 1: "1"',
    ].join('\n');
    expect(describeDbFailure('pg_restore', stderr, 1)).toBe('pg_restore failed: pg_restore: error: COPY failed for table "child": ERROR:  relation "parent" does not exist');
  });
});
