import { mysqlDumpArgs, mysqlOptionFile, mysqlPseudoPath, mysqlQueryArgs, mysqlReadOnly, mysqlRestoreArgs, mysqlRowCountsSql, mysqlTablesSql } from './mysql-commands';

describe('MySQL/MariaDB command lines', () => {
  it('writes the connection and password into an option file, quoted', () => {
    expect(mysqlOptionFile({ host: '127.0.0.1', port: 3307, user: 'backup', password: 'a"b\\c' })).toBe(
      '[client]\nhost="127.0.0.1"\nport=3307\nuser="backup"\npassword="a\\"b\\\\c"\n',
    );
    expect(mysqlOptionFile({ socket: '/run/mysqld/mysqld.sock' })).toBe('[client]\nsocket="/run/mysqld/mysqld.sock"\n');
  });

  it('dumps in one transaction with the option file first and no password in argv', () => {
    expect(mysqlDumpArgs('/w/my.cnf', 'shop')).toEqual(['--defaults-extra-file=/w/my.cnf', '--single-transaction', '--routines', '--events', '--triggers', '--hex-blob', 'shop']);
    expect(mysqlQueryArgs('/w/my.cnf', 'SHOW DATABASES')).toEqual(['--defaults-extra-file=/w/my.cnf', '--batch', '--skip-column-names', '--execute', 'SHOW DATABASES']);
    expect(mysqlRestoreArgs('/w/my.cnf', 'shop_copy')).toEqual(['--defaults-extra-file=/w/my.cnf', 'shop_copy']);
    expect(mysqlPseudoPath(2, 'shop')).toBe('/backstop/mysql_dump/config-2/shop.sql');
  });
});

describe('restore drill probes', () => {
  it('lists the base tables, then counts each exactly, names escaped', () => {
    expect(mysqlTablesSql('backstop_drill_1')).toBe("SELECT table_name FROM information_schema.tables WHERE table_schema = 'backstop_drill_1' AND table_type = 'BASE TABLE' ORDER BY table_name");
    expect(mysqlRowCountsSql('d', ['items', "it's`odd\\"])).toBe("SELECT 'items', COUNT(*) FROM `d`.`items` UNION ALL SELECT 'it''s`odd\\\\', COUNT(*) FROM `d`.`it's``odd\\`");
    expect(mysqlQueryArgs('/w/my.cnf', 'SELECT 1', 'd')).toEqual(['--defaults-extra-file=/w/my.cnf', '--batch', '--skip-column-names', '--database', 'd', '--execute', 'SELECT 1']);
    expect(mysqlReadOnly('SELECT 1')).toBe('SET SESSION TRANSACTION READ ONLY; SELECT 1');
  });
});
