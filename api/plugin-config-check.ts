// Checks a plugin configuration as the API receives it: the type must be built in or one the
// agent reports it has loaded; secret fields only under `secrets`, plain fields only under
// `settings`, and (for plugins the API knows) the plugin's own parseConfig. Third-party
// plugins' settings are checked by their agent when they run or test.
import { InputError } from '../contract/errors';
import type { PluginRegistry } from '../activities/shared/plugins/registry';

export interface PluginConfigOwner {
  name: string;
  /** What the agent last reported (registration or heartbeat); undefined before it has. */
  pluginTypes: readonly string[] | undefined;
}

export function checkPluginConfig(registry: PluginRegistry, plugin: string, settings: Record<string, unknown>, secrets: Record<string, string>, owner: PluginConfigOwner): void {
  if (!registry.has(plugin)) {
    if (owner.pluginTypes?.includes(plugin)) return;
    const reported = owner.pluginTypes === undefined ? `agent "${owner.name}" has not reported its plugin types yet` : `agent "${owner.name}" reports ${owner.pluginTypes.join(', ') || 'none'}`;
    throw new InputError(
      `unknown plugin type "${plugin}": built in are ${registry.types().join(', ')}; ${reported}. A third-party type is accepted once its agent has loaded it (BACKSTOP_PLUGIN_MODULES) and registered`,
    );
  }
  const p = registry.get(plugin);
  const misplaced = Object.keys(settings).filter((k) => p.secretFields.includes(k));
  if (misplaced.length > 0) throw new InputError(`${plugin}: ${misplaced.map((k) => `"${k}"`).join(', ')} is a secret: put it under "secrets", not "settings"`);
  const notSecret = Object.keys(secrets).filter((k) => !p.secretFields.includes(k));
  if (notSecret.length > 0) {
    const known = p.secretFields.length > 0 ? `its secrets are ${p.secretFields.join(', ')}` : 'it has no secret fields';
    throw new InputError(`${plugin}: ${notSecret.map((k) => `"${k}"`).join(', ')} is not a secret field (${known})`);
  }
  p.parseConfig({ ...settings, ...secrets });
}
