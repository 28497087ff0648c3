import { PluginRegistry } from '../activities/plugins/registry';
import { plugin as hello } from '../activities/plugins/sample/hello-file';
import { checkPluginConfig } from './plugin-config-check';

describe('checkPluginConfig', () => {
  const registry = new PluginRegistry([hello]);

  it('accepts plain settings with secrets apart', () => {
    expect(() => checkPluginConfig(registry, 'hello_file', { greeting: 'hi' }, { signature: 's3cret' })).not.toThrow();
  });

  it('refuses a secret among the settings and a plain field among the secrets', () => {
    expect(() => checkPluginConfig(registry, 'hello_file', { signature: 's3cret' }, {})).toThrow('hello_file: "signature" is a secret: put it under "secrets", not "settings"');
    expect(() => checkPluginConfig(registry, 'hello_file', {}, { greeting: 'hi' })).toThrow('hello_file: "greeting" is not a secret field (its secrets are signature)');
  });

  it("passes on the plugin's own reason for a bad value", () => {
    expect(() => checkPluginConfig(registry, 'hello_file', { greeting: 3 }, {})).toThrow('hello_file: "greeting" must be a non-empty string');
  });

  it('leaves plugin types it does not know to their agent', () => {
    expect(() => checkPluginConfig(registry, 'acme_thing', { anything: 1 }, { token: 'x' })).not.toThrow();
  });
});
