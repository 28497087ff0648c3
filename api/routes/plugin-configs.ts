// Named plugin configurations per agent (Borg Backup Server's model) and their attachment
// to jobs. Secret fields are sealed under 'plugin-config:<id>'; only the owning agent gets
// them back, through getAgentPluginConfig with its own token.
import { checkJobForEngine } from '../../contract/engine-capabilities';
import { InputError, NotFoundError, ConflictError } from '../../contract/errors';
import { pluginConfigSecretContext, type PluginConfigRecord } from '../../catalog/plugin-configs';
import { builtinRegistry } from '../../activities/shared/plugins/builtin';
import { checkPluginConfig, type PluginConfigOwner } from '../plugin-config-check';
import type { Agent } from '../../contract/model';
import { handler, type ApiContext } from '../context';
import type { CatalogScope } from '../../catalog/catalog';
import { checkJobModePlugins } from '../job-mode';

const registry = builtinRegistry();

export function pluginConfigView(c: PluginConfigRecord) {
  const { agentName, ...rest } = c;
  return { ...rest, agent: agentName };
}

async function agentOf(q: CatalogScope, name: string) {
  const agent = await q.agents.findByName(name);
  if (!agent) throw new NotFoundError(`agent "${name}" not found`);
  return agent;
}

const ownerOf = (agent: Agent): PluginConfigOwner => ({ name: agent.name, pluginTypes: agent.capabilities?.pluginTypes });

function openSecrets(ctx: ApiContext, id: number, sealed: string | null): Record<string, string> {
  if (!sealed) return {};
  // Sealed by this API from a request's `secrets`, which the spec makes a map of strings.
  const secrets: Record<string, string> = JSON.parse(ctx.secrets.open(sealed, pluginConfigSecretContext(id)));
  return secrets;
}

export const listPluginConfigs = handler('listPluginConfigs', async (ctx, { params }) => {
  const name = params.name;
  await agentOf(ctx.catalog, name);
  return { status: 200, body: { items: (await ctx.catalog.pluginConfigs.list(name)).map(pluginConfigView) } };
});

export const getPluginConfig = handler('getPluginConfig', async (ctx, { params }) => ({
  status: 200,
  body: pluginConfigView(await ctx.catalog.pluginConfigs.get(params.name, params.id)),
}));

export const createPluginConfig = handler('createPluginConfig', async (ctx, { params, body: b }) => {
  const settings = b.settings ?? {};
  const secrets = b.secrets ?? {};
  const agentName = params.name;
  const id = await ctx.catalog.transaction(async (tx) => {
    const agent = await agentOf(tx, agentName);
    checkPluginConfig(registry, b.plugin, settings, secrets, ownerOf(agent));
    const id = await tx.pluginConfigs.insert(agent.id, { name: b.name, plugin: b.plugin, settings, secretFields: Object.keys(secrets).sort() });
    if (Object.keys(secrets).length > 0) await tx.pluginConfigs.setSecrets(id, ctx.secrets.seal(JSON.stringify(secrets), pluginConfigSecretContext(id)));
    return id;
  });
  ctx.logger.info({ agent: agentName, configId: id, plugin: b.plugin }, 'plugin configuration created');
  return { status: 201, body: pluginConfigView(await ctx.catalog.pluginConfigs.get(agentName, id)) };
});

export const updatePluginConfig = handler('updatePluginConfig', async (ctx, { params, body: b }) => {
  const agentName = params.name;
  const id = params.id;
  await ctx.catalog.transaction(async (tx) => {
    await tx.pluginConfigs.get(agentName, id);
    const settings = b.settings ?? {};
    // Without `secrets` the sealed ones stay; they still take part in the validation.
    const secrets = b.secrets ?? openSecrets(ctx, id, await tx.pluginConfigs.secrets(id));
    checkPluginConfig(registry, b.plugin, settings, secrets, ownerOf(await agentOf(tx, agentName)));
    await tx.pluginConfigs.update(id, { name: b.name, plugin: b.plugin, settings, secretFields: Object.keys(secrets).sort() });
    if (b.secrets) await tx.pluginConfigs.setSecrets(id, Object.keys(secrets).length > 0 ? ctx.secrets.seal(JSON.stringify(secrets), pluginConfigSecretContext(id)) : null);
  });
  return { status: 200, body: pluginConfigView(await ctx.catalog.pluginConfigs.get(agentName, id)) };
});

export const deletePluginConfig = handler('deletePluginConfig', async (ctx, { params }) => {
  const id = params.id;
  await ctx.catalog.transaction(async (tx) => {
    await tx.pluginConfigs.get(params.name, id);
    const jobs = await tx.pluginConfigs.jobsUsing(id);
    if (jobs.length > 0) throw new ConflictError(`plugin configuration ${id} is attached to job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `"${j.name}" (${j.id})`).join(', ')}: detach it first`);
    await tx.pluginConfigs.delete(id);
  });
  return { status: 204, body: undefined };
});

async function jobPluginList(ctx: ApiContext, jobId: number) {
  const job = await ctx.catalog.jobs.get(jobId);
  const ids = await ctx.catalog.pluginConfigs.ofJob(jobId);
  const items = await Promise.all(ids.map((c) => ctx.catalog.pluginConfigs.get(job.agentName, c.id)));
  return { items: items.map(pluginConfigView) };
}

export const getJobPlugins = handler('getJobPlugins', async (ctx, { params }) => ({ status: 200, body: await jobPluginList(ctx, params.id) }));

/** Attaches configurations of the job's own agent; one of another agent is refused by name. */
export async function attachJobPlugins(tx: CatalogScope, jobId: number, agentName: string, configIds: number[]): Promise<void> {
  for (const configId of configIds) {
    await tx.pluginConfigs.get(agentName, configId).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new InputError(`plugin configuration ${configId} is not a configuration of agent "${agentName}", the job's agent`) : e;
    });
  }
  await tx.pluginConfigs.setOfJob(jobId, configIds);
}

export const setJobPlugins = handler('setJobPlugins', async (ctx, { params, body }) => {
  const jobId = params.id;
  const { configIds } = body;
  await ctx.catalog.transaction(async (tx) => {
    const job = await tx.jobs.get(jobId);
    checkJobModePlugins(job, configIds);
    checkJobForEngine((await tx.repositories.get(job.repositoryId)).engine, { mode: job.mode, pluginCount: configIds.length });
    await attachJobPlugins(tx, jobId, job.agentName, configIds);
  });
  return { status: 200, body: await jobPluginList(ctx, jobId) };
});

export const getAgentPluginConfig = handler('getAgentPluginConfig', async (ctx, { params, identity }) => {
  const id = params.id;
  // An agent gets only its own configurations; anything else looks absent.
  if (identity.scope !== 'agent' || !identity.agentName) throw new NotFoundError(`plugin configuration ${id} not found`);
  const c = await ctx.catalog.pluginConfigs.get(identity.agentName, id).catch((e: unknown) => {
    throw e instanceof NotFoundError ? new NotFoundError(`plugin configuration ${id} not found`) : e;
  });
  const secrets = openSecrets(ctx, id, await ctx.catalog.pluginConfigs.secrets(id));
  return { status: 200, body: { id: c.id, name: c.name, plugin: c.plugin, settings: c.settings, secrets } };
});
