// `backstop plugins …` (an agent's named plugin configurations: database dumps and the like),
// `backstop scripts …` (the server-side script library), the job's picks of both
// (`jobs plugins-set|plugins-show|scripts-set|scripts-show`) and `snapshots restore-db`.
// Secrets come from environment variables (`--secret FIELD=ENVVAR`), never argv.
import { type Command, Option } from 'commander';
import type { components } from '../contract/generated/api-schema';
import { collect, confirm, covers, defined, followStartedRun, idList, jsonObject, positiveInt, secretsFromEnv, show, showTable, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';
import { formatFields, relativeTime } from './format';

type PluginConfig = components['schemas']['PluginConfig'];
type PluginConfigWrite = components['schemas']['PluginConfigWrite'];
type Script = components['schemas']['Script'];
type ScriptWrite = components['schemas']['ScriptWrite'];
type JobScripts = components['schemas']['JobScripts'];

const agentPath = (agent: string) => `/v1/agents/${encodeURIComponent(agent)}/plugin-configs`;

export interface PluginConfigOptions {
  settings?: Record<string, unknown>;
  secret?: string[];
}

export function pluginConfigRequest(name: string, plugin: string, o: PluginConfigOptions, env: Record<string, string | undefined>): PluginConfigWrite {
  const secrets = secretsFromEnv(o.secret, env, /^[A-Za-z_][A-Za-z0-9_]*$/);
  // openapi-typescript types a free-form `settings` object as Record<string, never>; it is any JSON object.
  return { name, plugin, settings: (o.settings ?? {}) as PluginConfigWrite['settings'], ...(Object.keys(secrets).length ? { secrets } : {}) };
}

/** PUT replaces a configuration: the edit starts from the current one and changes what the flags say. */
export function pluginConfigEdit(current: PluginConfig, o: PluginConfigOptions & { name?: string }, env: Record<string, string | undefined>): PluginConfigWrite {
  if (o.name === undefined && o.settings === undefined && !o.secret?.length) throw new UsageError('say what to change: --name, --settings or --secret');
  return pluginConfigRequest(o.name ?? current.name, current.plugin, { settings: o.settings ?? (current.settings as Record<string, unknown>), secret: o.secret }, env);
}

const pluginLines = (c: PluginConfig) =>
  formatFields([
    ['id', c.id],
    ['agent', c.agent],
    ['name', c.name],
    ['plugin', c.plugin],
    ['settings', JSON.stringify(c.settings)],
    ['secrets', c.secretFields.join(' ') || 'none'],
    ['updated', c.updatedAt],
  ]);

const scriptLines = (s: Script) => [
  ...formatFields([
    ['id', s.id],
    ['name', s.name],
    ['description', s.description],
    ['timeout', `${s.timeoutSeconds}s`],
    ['updated', s.updatedAt],
  ]),
  '---',
  ...s.body.replace(/\n$/, '').split('\n'),
];

export function registerPlugins(plugins: Command, ctx: CliContext): void {
  const api = () => ctx.api();
  covers(
    plugins
      .command('list')
      .description("the agent's plugin configurations")
      .argument('<agent>', 'agent name')
      .action(async (agent: string) => {
        const answer = await api().request<{ items: PluginConfig[] }>('GET', agentPath(agent));
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (c) => c.id, right: true },
          { header: 'name', value: (c) => c.name },
          { header: 'plugin', value: (c) => c.plugin },
          { header: 'secrets', value: (c) => c.secretFields.join(' ') },
          { header: 'settings', value: (c) => JSON.stringify(c.settings) },
        ]);
      }),
    'listPluginConfigs',
  );
  covers(
    plugins
      .command('add')
      .description('a named configuration (secret values read from the environment variables named)')
      .argument('<agent>', 'agent name')
      .argument('<name>', 'configuration name')
      .argument('<plugin>', 'plugin type (pg_dump, mysql_dump, …)')
      .option('--settings <json>', 'plain settings, a JSON object', jsonObject)
      .option('--secret <FIELD=ENVVAR>', 'a secret field, its value from ENVVAR (repeatable)', collect)
      .action(async (agent: string, name: string, plugin: string, o: PluginConfigOptions) =>
        show(ctx, await api().request<PluginConfig>('POST', agentPath(agent), pluginConfigRequest(name, plugin, o, ctx.env)), pluginLines),
      ),
    'createPluginConfig',
  );
  covers(
    plugins
      .command('show')
      .description('one configuration (secret fields named, never shown)')
      .argument('<agent>', 'agent name')
      .argument('<id>', 'configuration id', positiveInt)
      .action(async (agent: string, id: number) => show(ctx, await api().request<PluginConfig>('GET', `${agentPath(agent)}/${id}`), pluginLines)),
    'getPluginConfig',
  );
  covers(
    plugins
      .command('edit')
      .description('change a configuration; secrets not given are kept')
      .argument('<agent>', 'agent name')
      .argument('<id>', 'configuration id', positiveInt)
      .option('--name <name>', 'a new name')
      .option('--settings <json>', 'all plain settings, a JSON object', jsonObject)
      .option('--secret <FIELD=ENVVAR>', 'replace the secrets with these (repeatable)', collect)
      .action(async (agent: string, id: number, o: PluginConfigOptions & { name?: string }) => {
        const current = await api().request<PluginConfig>('GET', `${agentPath(agent)}/${id}`);
        show(ctx, await api().request<PluginConfig>('PUT', `${agentPath(agent)}/${id}`, pluginConfigEdit(current, o, ctx.env)), pluginLines);
      }),
    'getPluginConfig',
    'updatePluginConfig',
  );
  covers(
    plugins
      .command('delete')
      .description('delete one (refused while a job uses it)')
      .argument('<agent>', 'agent name')
      .argument('<id>', 'configuration id', positiveInt)
      .action(async (agent: string, id: number) => {
        await api().request('DELETE', `${agentPath(agent)}/${id}`);
        confirm(ctx, `plugin configuration ${id} of ${agent} deleted`);
      }),
    'deletePluginConfig',
  );
  covers(
    plugins
      .command('test')
      .description('connect / dry-run it on the agent and report')
      .argument('<agent>', 'agent name')
      .argument('<id>', 'configuration id', positiveInt)
      .option('--wait', 'follow the test run to its end and exit with its outcome')
      .action(async (agent: string, id: number, o: { wait?: boolean }) => {
        const accepted = await api().request<{ runId: string; workflowId: string }>('POST', `${agentPath(agent)}/${id}/test`);
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'plugin test run' });
      }),
    'testPluginConfig',
  );
}

export function registerScripts(scripts: Command, ctx: CliContext): void {
  const api = () => ctx.api();
  covers(
    scripts
      .command('list')
      .description('the server-side script library')
      .action(async () => {
        const answer = await api().request<{ items: Script[] }>('GET', '/v1/scripts');
        const now = ctx.now();
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (s) => s.id, right: true },
          { header: 'name', value: (s) => s.name },
          { header: 'timeout', value: (s) => `${s.timeoutSeconds}s`, right: true },
          { header: 'updated', value: (s) => relativeTime(s.updatedAt, now) },
          { header: 'description', value: (s) => s.description },
        ]);
      }),
    'listScripts',
  );
  covers(
    scripts
      .command('add')
      .description('add a script (run with /bin/sh -c on the server worker)')
      .argument('<name>', 'script name')
      .requiredOption('--file <file>', 'the script body')
      .option('--timeout <seconds>', 'kill it after this long', positiveInt)
      .option('--description <text>', 'what it does')
      .action(async (name: string, o: { file: string; timeout?: number; description?: string }) => {
        const body: ScriptWrite = defined({ name, body: ctx.readFile(o.file), timeoutSeconds: o.timeout, description: o.description });
        show(ctx, await api().request<Script>('POST', '/v1/scripts', body), scriptLines);
      }),
    'createScript',
  );
  covers(
    scripts
      .command('show')
      .description('one script with its body')
      .argument('<id>', 'script id', positiveInt)
      .action(async (id: number) => show(ctx, await api().request<Script>('GET', `/v1/scripts/${id}`), scriptLines)),
    'getScript',
  );
  covers(
    scripts
      .command('edit')
      .description('change a script (what is not given stays)')
      .argument('<id>', 'script id', positiveInt)
      .option('--name <name>', 'a new name')
      .option('--file <file>', 'a new body')
      .option('--timeout <seconds>', 'a new timeout', positiveInt)
      .option('--description <text>', 'a new description')
      .action(async (id: number, o: { name?: string; file?: string; timeout?: number; description?: string }) => {
        if (Object.values(o).every((v) => v === undefined)) throw new UsageError('say what to change: --name, --file, --timeout or --description');
        const current = await api().request<Script>('GET', `/v1/scripts/${id}`);
        const body: ScriptWrite = defined({
          name: o.name ?? current.name,
          body: o.file ? ctx.readFile(o.file) : current.body,
          timeoutSeconds: o.timeout ?? current.timeoutSeconds,
          description: o.description ?? current.description ?? undefined,
        });
        show(ctx, await api().request<Script>('PUT', `/v1/scripts/${id}`, body), scriptLines);
      }),
    'getScript',
    'updateScript',
  );
  covers(
    scripts
      .command('delete')
      .description('delete a script (refused while a job uses it)')
      .argument('<id>', 'script id', positiveInt)
      .action(async (id: number) => {
        await api().request('DELETE', `/v1/scripts/${id}`);
        confirm(ctx, `script ${id} deleted`);
      }),
    'deleteScript',
  );
}

export function registerJobExtensions(jobs: Command, snapshots: Command, ctx: CliContext): void {
  const api = () => ctx.api();
  const configsShown = (v: { items?: PluginConfig[] }) => (v.items ?? []).map((c) => `${c.id}  ${c.name} (${c.plugin} on ${c.agent})`);
  covers(
    jobs
      .command('plugins-set')
      .description('attach plugin configurations to a job, in order (none: detach all)')
      .argument('<id>', 'job id', positiveInt)
      .argument('[configIds...]', 'configuration ids')
      .action(async (id: number, configIds: string[]) => {
        const ids = configIds.flatMap((c) => idList(c));
        show(ctx, await api().request<{ items?: PluginConfig[] }>('PUT', `/v1/jobs/${id}/plugins`, { configIds: ids }), configsShown);
      }),
    'setJobPlugins',
  );
  covers(
    jobs
      .command('plugins-show')
      .description("the job's plugin configurations, in order")
      .argument('<id>', 'job id', positiveInt)
      .action(async (id: number) => show(ctx, await api().request<{ items?: PluginConfig[] }>('GET', `/v1/jobs/${id}/plugins`), configsShown)),
    'getJobPlugins',
  );
  const scriptsShown = (s: JobScripts) => [`pre:  ${s.pre.map((x) => `${x.id} ${x.name}`).join(', ') || '—'}`, `post: ${s.post.map((x) => `${x.id} ${x.name}`).join(', ') || '—'}`];
  covers(
    jobs
      .command('scripts-set')
      .description("a job's library pre and post scripts (comma-separated ids, in order)")
      .argument('<id>', 'job id', positiveInt)
      .option('--pre <ids>', 'scripts before the backup', idList, [])
      .option('--post <ids>', 'scripts after the backup', idList, [])
      .action(async (id: number, o: { pre: number[]; post: number[] }) => show(ctx, await api().request<JobScripts>('PUT', `/v1/jobs/${id}/scripts`, { pre: o.pre, post: o.post }), scriptsShown)),
    'setJobScripts',
  );
  covers(
    jobs
      .command('scripts-show')
      .description("the job's library pre and post scripts")
      .argument('<id>', 'job id', positiveInt)
      .action(async (id: number) => show(ctx, await api().request<JobScripts>('GET', `/v1/jobs/${id}/scripts`), scriptsShown)),
    'getJobScripts',
  );
  covers(
    snapshots
      .command('restore-db')
      .description('restore a dumped database from a snapshot (into a new database by default)')
      .argument('<id>', 'snapshot id')
      .requiredOption('--agent <name>', 'the agent whose database server receives it')
      .requiredOption('--config <id>', "that agent's pg_dump or mysql_dump configuration", positiveInt)
      .requiredOption('--path <path>', 'the dump file in the snapshot')
      .requiredOption('--target <db>', 'the database to restore into')
      .addOption(new Option('--overwrite', 'replace the target database if it exists'))
      .option('--wait', 'follow the restore to its end and exit with its outcome')
      .action(async (id: string, o: { agent: string; config: number; path: string; target: string; overwrite?: boolean; wait?: boolean }) => {
        const accepted = await api().request<{ runId: string; workflowId: string }>('POST', `/v1/snapshots/${id}/restore-database`, {
          agent: o.agent,
          configId: o.config,
          path: o.path,
          target: o.target,
          overwrite: Boolean(o.overwrite),
        });
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'database restore run' });
      }),
    'restoreDatabase',
  );
}
