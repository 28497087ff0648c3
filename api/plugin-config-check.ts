// Checks a plugin configuration as the API receives it: secret fields only under `secrets`,
// plain fields only under `settings`, and (for plugins the API knows) the plugin's own
// parseConfig. Third-party plugin types are checked by their agent when they run or test.
import { InputError } from '../core/errors';
import type { PluginRegistry } from '../activities/plugins/registry';

export function checkPluginConfig(registry: PluginRegistry, plugin: string, settings: Record<string, unknown>, secrets: Record<string, string>): void {
  if (!registry.has(plugin)) return;
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
