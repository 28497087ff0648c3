import { UnauthorizedError } from '../../contract/errors';
import { handler } from '../context';
import { startCatchUpRuns } from '../catch-up';

export const listAgents = handler('listAgents', async (ctx) => ({ status: 200, body: { items: await ctx.catalog.agents.list() } }));

export const registerAgent = handler('registerAgent', async (ctx, { params, body, identity }) => {
  const name = params.name;
  // An agent registers only itself.
  if (identity.scope === 'agent' && identity.agentName !== name) throw new UnauthorizedError(`this token belongs to agent ${identity.agentName}`);
  const agent = await ctx.catalog.agents.upsert({ name, hostname: body.hostname, version: body.version, capabilities: body.capabilities });
  // The agent is back: start the scheduled backups it missed. A failure here must not
  // stop the agent from registering; the next registration tries again.
  await startCatchUpRuns(ctx, name).catch((err: unknown) => ctx.logger.error({ err, agent: name }, 'catch-up runs failed to start'));
  return { status: 200, body: agent };
});
