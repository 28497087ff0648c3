// The plugins every agent has; the API validates their configurations too.
import type { BackstopPlugin } from '../../../contract/plugin-api';
import { PluginRegistry } from './registry';
import { shellHookPlugin } from './shell-hook/plugin';
import { pgDumpPlugin } from './db/postgres-plugin';
import { mysqlDumpPlugin } from './db/mysql-plugin';
import { pipePlugin } from './pipe/plugin';

export function builtinPlugins(): BackstopPlugin[] {
  return [shellHookPlugin, pgDumpPlugin, mysqlDumpPlugin, pipePlugin] as BackstopPlugin[];
}

export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry(builtinPlugins());
}
