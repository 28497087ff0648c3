// The plugins every agent has; the API validates their configurations too.
import type { BackstopPlugin } from './api';
import { PluginRegistry } from './registry';
import { shellHookPlugin } from './shell-hook/plugin';

export function builtinPlugins(): BackstopPlugin[] {
  return [shellHookPlugin as BackstopPlugin];
}

export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry(builtinPlugins());
}
