import { parsePluginModules, pluginFromModule, PluginRegistry } from './registry';
import { plugin as hello } from './sample/hello-file';

describe('plugin registry', () => {
  it('parses the module list of BACKSTOP_PLUGIN_MODULES', () => {
    expect(parsePluginModules(undefined)).toEqual([]);
    expect(parsePluginModules(' /opt/a.js, ./b ,,')).toEqual(['/opt/a.js', './b']);
  });

  it('accepts a plugin exported as plugin or default, and names what a bad export lacks', () => {
    expect(pluginFromModule({ plugin: hello }, 'm').type).toBe('hello_file');
    expect(pluginFromModule({ default: hello }, 'm').type).toBe('hello_file');
    expect(() => pluginFromModule({ default: { type: 'x_y' } }, '/opt/x.js')).toThrow('plugin module /opt/x.js does not export a plugin (missing: capabilities, secretFields, parseConfig, test)');
    expect(() => pluginFromModule({ plugin: { ...hello, type: 'Bad Type' } }, 'm')).toThrow(/must be lower-case/);
  });

  it('refuses two plugins of one type and names the known ones for an unknown type', () => {
    const r = new PluginRegistry([hello]);
    expect(() => r.add(hello)).toThrow('two plugins claim the type "hello_file"');
    expect(() => r.get('nope')).toThrow(/no plugin of type "nope" on this agent \(built in: hello_file/);
  });
});
