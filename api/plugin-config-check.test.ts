import { PluginRegistry } from '../activities/shared/plugins/registry';
import { plugin as hello } from '../activities/shared/plugins/sample/hello-file';
import { checkPluginConfig } from './plugin-config-check';

describe('checkPluginConfig', () => {
  const registry = new PluginRegistry([hello]);
  const owner = { name: 'local', pluginTypes: ['hello_file'] };

  it('accepts plain settings with secrets apart', () => {
    expect(() => checkPluginConfig(registry, 'hello_file', { greeting: 'hi' }, { signature: 's3cret' }, owner)).not.toThrow();
  });

  it('refuses a secret among the settings and a plain field among the secrets', () => {
    expect(() => checkPluginConfig(registry, 'hello_file', { signature: 's3cret' }, {}, owner)).toThrow('hello_file: "signature" is a secret: put it under "secrets", not "settings"');
    expect(() => checkPluginConfig(registry, 'hello_file', {}, { greeting: 'hi' }, owner)).toThrow('hello_file: "greeting" is not a secret field (its secrets are signature)');
  });

  it("passes on the plugin's own reason for a bad value", () => {
    expect(() => checkPluginConfig(registry, 'hello_file', { greeting: 3 }, {}, owner)).toThrow('hello_file: "greeting" must be a non-empty string');
  });

  it("leaves the settings of a third-party type its agent reports to that agent", () => {
    expect(() => checkPluginConfig(registry, 'acme_thing', { anything: 1 }, { token: 'x' }, { name: 'db1', pluginTypes: ['hello_file', 'acme_thing'] })).not.toThrow();
  });

  it('refuses a type that is neither built in nor reported by the agent, saying what is known', () => {
    expect(() => checkPluginConfig(registry, 'a0', {}, {}, { name: 'db1', pluginTypes: ['hello_file'] })).toThrow(
      'unknown plugin type "a0": built in are hello_file; agent "db1" reports hello_file. A third-party type is accepted once its agent has loaded it (BACKSTOP_PLUGIN_MODULES) and registered',
    );
    expect(() => checkPluginConfig(registry, 'a0', {}, {}, { name: 'new', pluginTypes: undefined })).toThrow('agent "new" has not reported its plugin types yet');
  });
});
