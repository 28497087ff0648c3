// Which plugins an agent (and the API, for validation) knows: the built-in ones and the
// third-party modules named in BACKSTOP_PLUGIN_MODULES (comma-separated module paths, loaded
// once at agent start). A module exports its plugin as `default` or `plugin`.
import { resolve } from 'node:path';
import { InputError, NotFoundError } from '../../../contract/errors';
import type { BackstopPlugin } from '../../../contract/plugin-api';

export class PluginRegistry {
  private readonly byType = new Map<string, BackstopPlugin>();

  constructor(plugins: readonly BackstopPlugin[] = []) {
    for (const p of plugins) this.add(p);
  }

  add(plugin: BackstopPlugin): void {
    if (this.byType.has(plugin.type)) throw new InputError(`two plugins claim the type "${plugin.type}"`);
    this.byType.set(plugin.type, plugin);
  }

  get(type: string): BackstopPlugin {
    const p = this.byType.get(type);
    if (!p) throw new NotFoundError(`no plugin of type "${type}" on this agent (built in: ${[...this.byType.keys()].join(', ')}; others come from BACKSTOP_PLUGIN_MODULES)`);
    return p;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }
}

/** A loaded module's plugin, checked for the members every plugin must have. */
export function pluginFromModule(mod: unknown, from: string): BackstopPlugin {
  const m = mod as { default?: unknown; plugin?: unknown };
  const candidate = (m.plugin ?? (m.default as { plugin?: unknown } | undefined)?.plugin ?? m.default) as Partial<BackstopPlugin> | undefined;
  const missing = ['type', 'capabilities', 'secretFields', 'parseConfig', 'test'].filter((k) => candidate?.[k as keyof BackstopPlugin] === undefined);
  if (!candidate || missing.length > 0) throw new InputError(`plugin module ${from} does not export a plugin (missing: ${missing.join(', ') || 'everything'})`);
  if (!/^[a-z][a-z0-9_]{1,40}$/.test(candidate.type!)) throw new InputError(`plugin module ${from}: type "${candidate.type}" must be lower-case letters, digits and _`);
  return candidate as BackstopPlugin;
}

/** `"/opt/p1.js, ./p2"` → module paths; empty or unset → none. */
export function parsePluginModules(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Loads third-party plugins into the registry; a module that fails to load stops the agent's start. */
export async function loadPluginModules(registry: PluginRegistry, modules: readonly string[], cwd = process.cwd()): Promise<void> {
  for (const path of modules) {
    const full = path.startsWith('.') ? resolve(cwd, path) : path;
    // require keeps ts-node/CommonJS and plain .js modules working alike.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod: unknown = require(full);
    registry.add(pluginFromModule(mod, path));
  }
}
