import { dbRestoreRequest, pluginConfigRequest } from './plugins';

describe('plugin CLI requests', () => {
  it('reads secrets from the environment, not from argv', () => {
    expect(pluginConfigRequest(['pg', 'pg_dump', '--settings', '{"host":"db1","mode":"stream"}', '--secret', 'password=PGPASS'], { PGPASS: 'hunter2' })).toEqual({
      name: 'pg',
      plugin: 'pg_dump',
      settings: { host: 'db1', mode: 'stream' },
      secrets: { password: 'hunter2' },
    });
    expect(() => pluginConfigRequest(['pg', 'pg_dump', '--secret', 'password=NOPE'], {})).toThrow('--secret password: environment variable NOPE is not set');
    expect(() => pluginConfigRequest(['pg', 'pg_dump', '--secret', 'password=hunter2!'], {})).toThrow('--secret takes FIELD=ENVVAR');
    expect(() => pluginConfigRequest(['pg', 'pg_dump', '--settings', '{nope'], {})).toThrow('--settings must be a JSON object');
  });

  it('builds a database restore request, new database unless --overwrite', () => {
    expect(dbRestoreRequest(['--agent', 'db1', '--config', '3', '--path', '/backstop/pg_dump/config-3/app.dump', '--target', 'app_copy'])).toEqual({
      agent: 'db1',
      configId: 3,
      path: '/backstop/pg_dump/config-3/app.dump',
      target: 'app_copy',
      overwrite: false,
    });
    expect(dbRestoreRequest(['--agent', 'a', '--config', '1', '--path', '/p', '--target', 't', '--overwrite']).overwrite).toBe(true);
    expect(() => dbRestoreRequest(['--agent', 'a'])).toThrow('snapshots restore-db needs --agent, --config, --path and --target');
  });
});
