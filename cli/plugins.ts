// `backstop plugins …`, `backstop scripts …`, `backstop jobs plugins-set|scripts-set` and
// `backstop snapshots restore-db`. Secrets come from environment variables, never argv.
import { readFileSync } from 'node:fs';
import type { ApiClient, ApiRun } from '../core/api-client';
import { flag } from './args';

export const PLUGINS_USAGE = `  plugins list <agent>                       the agent's plugin configurations
  plugins add <agent> <name> <plugin> [--settings JSON] [--secret FIELD=ENVVAR]...
                                             a named configuration (secret values read from ENVVAR)
  plugins delete <agent> <id>                delete one (refused while a job uses it)
  plugins test <agent> <id> [--wait]         connect / dry-run it on the agent and report
  jobs plugins-set <jobId> [configId]...     attach configurations to a job, in order
  scripts list | scripts add <name> --file F [--timeout S]
                                             the server-side script library
  jobs scripts-set <jobId> [--pre ID,ID] [--post ID,ID]
                                             a job's library pre and post scripts
  snapshots restore-db <id> --agent A --config N --path P --target DB [--overwrite] [--wait]
                                             restore a dumped database (new by default)`;


function ids(value: string | undefined, what: string): number[] {
  if (value === undefined || value === '') return [];
  return value.split(',').map((v) => {
    if (!/^[1-9]\d*$/.test(v.trim())) throw new Error(`${what}: "${v}" is not an id`);
    return Number(v.trim());
  });
}

/** `--secret password=PGPASS` → `{ password: process.env.PGPASS }`. */
export function pluginConfigRequest(args: string[], env: Record<string, string | undefined>) {
  const [name, plugin] = args;
  if (!name || !plugin) throw new Error('plugins add needs <agent> <name> <plugin>');
  const settingsText = flag(args, '--settings');
  let settings: unknown = {};
  if (settingsText !== undefined) {
    try {
      settings = JSON.parse(settingsText);
    } catch {
      throw new Error('--settings must be a JSON object');
    }
  }
  const secrets: Record<string, string> = {};
  args.forEach((a, i) => {
    if (a !== '--secret') return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(args[i + 1] ?? '');
    if (!m) throw new Error('--secret takes FIELD=ENVVAR');
    const value = env[m[2]!];
    if (value === undefined) throw new Error(`--secret ${m[1]}: environment variable ${m[2]} is not set`);
    secrets[m[1]!] = value;
  });
  return { name, plugin, settings, ...(Object.keys(secrets).length ? { secrets } : {}) };
}

export function dbRestoreRequest(args: string[]) {
  const agent = flag(args, '--agent');
  const config = flag(args, '--config');
  const path = flag(args, '--path');
  const target = flag(args, '--target');
  if (!agent || !config || !path || !target) throw new Error('snapshots restore-db needs --agent, --config, --path and --target');
  return { agent, configId: ids(config, '--config')[0]!, path, target, overwrite: args.includes('--overwrite') };
}

async function started(api: ApiClient, accepted: { runId: string; workflowId: string }, wait: boolean, print: (r: ApiRun) => void): Promise<number> {
  console.log(`run ${accepted.runId} started (workflow ${accepted.workflowId})`);
  if (!wait) return 0;
  const run = await api.waitForRun(accepted.runId);
  print(run);
  return run.status === 'succeeded' ? 0 : 1;
}

/** The exit code, or null when `command` is not one of these. */
export async function pluginCommand(api: () => ApiClient, command: string, args: string[], print: (r: ApiRun) => void): Promise<number | null> {
  const show = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  switch (command) {
    case 'plugins list':
      show(await api().request('GET', `/v1/agents/${encodeURIComponent(args[0] ?? '')}/plugin-configs`));
      return 0;
    case 'plugins add':
      show(await api().request('POST', `/v1/agents/${encodeURIComponent(args[0] ?? '')}/plugin-configs`, pluginConfigRequest(args.slice(1), process.env)));
      return 0;
    case 'plugins delete':
      await api().request('DELETE', `/v1/agents/${encodeURIComponent(args[0] ?? '')}/plugin-configs/${ids(args[1], 'id')[0]}`);
      return 0;
    case 'plugins test': {
      const accepted = await api().request<{ runId: string; workflowId: string }>('POST', `/v1/agents/${encodeURIComponent(args[0] ?? '')}/plugin-configs/${ids(args[1], 'id')[0]}/test`);
      return started(api(), accepted, args.includes('--wait'), print);
    }
    case 'jobs plugins-set':
      show(await api().request('PUT', `/v1/jobs/${ids(args[0], 'job id')[0]}/plugins`, { configIds: args.slice(1).flatMap((a) => ids(a, 'config id')) }));
      return 0;
    case 'scripts list':
      show(await api().request('GET', '/v1/scripts'));
      return 0;
    case 'scripts add': {
      const file = flag(args, '--file');
      if (!args[0] || !file) throw new Error('scripts add needs <name> --file F');
      const timeout = flag(args, '--timeout');
      show(await api().request('POST', '/v1/scripts', { name: args[0], body: readFileSync(file, 'utf8'), ...(timeout ? { timeoutSeconds: ids(timeout, '--timeout')[0] } : {}) }));
      return 0;
    }
    case 'jobs scripts-set':
      show(await api().request('PUT', `/v1/jobs/${ids(args[0], 'job id')[0]}/scripts`, { pre: ids(flag(args, '--pre'), '--pre'), post: ids(flag(args, '--post'), '--post') }));
      return 0;
    case 'snapshots restore-db': {
      if (!args[0] || args[0].startsWith('--')) throw new Error('snapshots restore-db needs a snapshot id');
      const accepted = await api().request<{ runId: string; workflowId: string }>('POST', `/v1/snapshots/${args[0]}/restore-database`, dbRestoreRequest(args.slice(1)));
      return started(api(), accepted, args.includes('--wait'), print);
    }
    default:
      return null;
  }
}
