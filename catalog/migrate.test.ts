import { loadMigrations, parseMigrationFileName } from './migrate';

describe('migration files', () => {
  it('parses numbered names only', () => {
    expect(parseMigrationFileName('001_initial.sql')).toEqual({ version: 1, name: 'initial' });
    expect(parseMigrationFileName('initial.sql')).toBeNull();
    expect(parseMigrationFileName('001_initial.sql.bak')).toBeNull();
  });

  it('ships migrations numbered from 1 without gaps', () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(versions[0]).toBe(1);
    versions.forEach((v, i) => expect(v).toBe(i + 1));
  });
});
