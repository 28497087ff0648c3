// Named plugin configurations per agent (Borg Backup Server's model) and their attachment
// to jobs. Secret fields are sealed under 'plugin-config:<id>'; only the owning agent gets
// them back, through getAgentPluginConfig with its own token.
import { InputError, NotFoundError, ConflictError } from '../../core/errors';
import { withTransaction } from '../../catalog/db';
import {
  deletePluginConfig as deleteRow,
  getPluginConfig as getRow,
  getPluginConfigSecrets,
  insertPluginConfig,
  jobPluginConfigs,
  jobsUsingPluginConfig,
  listPluginConfigs as listRows,
  pluginConfigSecretContext,
  setJobPluginConfigs,
  setPluginConfigSecrets,
  updatePluginConfig as updateRow,
  type PluginConfigRecord,
} from '../../catalog/plugin-configs';
import { builtinRegistry } from '../../activities/plugins/builtin';
import { checkPluginConfig, type PluginConfigOwner } from '../plugin-config-check';
import type { Agent } from '../../core/model';
import { handler, type ApiContext } from '../context';
import type { Queryable } from '../../catalog/db';

const registry = builtinRegistry();

export function pluginConfigView(c: PluginConfigRecord) {
  const { agentName, ...rest } = c;
  return { ...rest, agent: agentName };
}

async function agentOf(ctx: ApiContext, q: Queryable, name: string) {
  const agent = await ctx.catalog.findAgentByName(q, name);
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
  await agentOf(ctx, ctx.catalog.db, name);
  return { status: 200, body: { items: (await listRows(ctx.catalog.db, name)).map(pluginConfigView) } };
});

export const getPluginConfig = handler('getPluginConfig', async (ctx, { params }) => ({
  status: 200,
  body: pluginConfigView(await getRow(ctx.catalog.db, params.name, params.id)),
}));

export const createPluginConfig = handler('createPluginConfig', async (ctx, { params, body: b }) => {
  const settings = b.settings ?? {};
  const secrets = b.secrets ?? {};
  const agentName = params.name;
  const id = await withTransaction(ctx.catalog.db, async (tx) => {
    const agent = await agentOf(ctx, tx, agentName);
    checkPluginConfig(registry, b.plugin, settings, secrets, ownerOf(agent));
    const id = await insertPluginConfig(tx, agent.id, { name: b.name, plugin: b.plugin, settings, secretFields: Object.keys(secrets).sort() });
    if (Object.keys(secrets).length > 0) await setPluginConfigSecrets(tx, id, ctx.secrets.seal(JSON.stringify(secrets), pluginConfigSecretContext(id)));
    return id;
  });
  ctx.logger.info({ agent: agentName, configId: id, plugin: b.plugin }, 'plugin configuration created');
  return { status: 201, body: pluginConfigView(await getRow(ctx.catalog.db, agentName, id)) };
});

export const updatePluginConfig = handler('updatePluginConfig', async (ctx, { params, body: b }) => {
  const agentName = params.name;
  const id = params.id;
  await withTransaction(ctx.catalog.db, async (tx) => {
    await getRow(tx, agentName, id);
    const settings = b.settings ?? {};
    // Without `secrets` the sealed ones stay; they still take part in the validation.
    const secrets = b.secrets ?? openSecrets(ctx, id, await getPluginConfigSecrets(tx, id));
    checkPluginConfig(registry, b.plugin, settings, secrets, ownerOf(await agentOf(ctx, tx, agentName)));
    await updateRow(tx, id, { name: b.name, plugin: b.plugin, settings, secretFields: Object.keys(secrets).sort() });
    if (b.secrets) await setPluginConfigSecrets(tx, id, Object.keys(secrets).length > 0 ? ctx.secrets.seal(JSON.stringify(secrets), pluginConfigSecretContext(id)) : null);
  });
  return { status: 200, body: pluginConfigView(await getRow(ctx.catalog.db, agentName, id)) };
});

export const deletePluginConfig = handler('deletePluginConfig', async (ctx, { params }) => {
  const id = params.id;
  await withTransaction(ctx.catalog.db, async (tx) => {
    await getRow(tx, params.name, id);
    const jobs = await jobsUsingPluginConfig(tx, id);
    if (jobs.length > 0) throw new ConflictError(`plugin configuration ${id} is attached to job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `"${j.name}" (${j.id})`).join(', ')}: detach it first`);
    await deleteRow(tx, id);
  });
  return { status: 204, body: undefined };
});

async function jobPluginList(ctx: ApiContext, jobId: number) {
  const job = await ctx.catalog.getJob(jobId);
  const ids = await jobPluginConfigs(ctx.catalog.db, jobId);
  const items = await Promise.all(ids.map((c) => getRow(ctx.catalog.db, job.agentName, c.id)));
  return { items: items.map(pluginConfigView) };
}

export const getJobPlugins = handler('getJobPlugins', async (ctx, { params }) => ({ status: 200, body: await jobPluginList(ctx, params.id) }));

/** Attaches configurations of the job's own agent; one of another agent is refused by name. */
export async function attachJobPlugins(tx: Queryable, jobId: number, agentName: string, configIds: number[]): Promise<void> {
  for (const configId of configIds) {
    await getRow(tx, agentName, configId).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new InputError(`plugin configuration ${configId} is not a configuration of agent "${agentName}", the job's agent`) : e;
    });
  }
  await setJobPluginConfigs(tx, jobId, configIds);
}

export const setJobPlugins = handler('setJobPlugins', async (ctx, { params, body }) => {
  const jobId = params.id;
  const { configIds } = body;
  await withTransaction(ctx.catalog.db, async (tx) => {
    const job = await ctx.catalog.getJob(jobId, tx);
    await attachJobPlugins(tx, jobId, job.agentName, configIds);
  });
  return { status: 200, body: await jobPluginList(ctx, jobId) };
});

export const getAgentPluginConfig = handler('getAgentPluginConfig', async (ctx, { params, identity }) => {
  const id = params.id;
  // An agent gets only its own configurations; anything else looks absent.
  if (identity.scope !== 'agent' || !identity.agentName) throw new NotFoundError(`plugin configuration ${id} not found`);
  const c = await getRow(ctx.catalog.db, identity.agentName, id).catch((e: unknown) => {
    throw e instanceof NotFoundError ? new NotFoundError(`plugin configuration ${id} not found`) : e;
  });
  const secrets = openSecrets(ctx, id, await getPluginConfigSecrets(ctx.catalog.db, id));
  return { status: 200, body: { id: c.id, name: c.name, plugin: c.plugin, settings: c.settings, secrets } };
});
