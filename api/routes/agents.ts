import { UnauthorizedError } from '../../contract/errors';
import type { Handler } from '../context';
import type { AgentCapabilities } from '../../contract/model';
import { startCatchUpRuns } from '../catch-up';

export const listAgents: Handler = async (ctx) => ({ status: 200, body: { items: await ctx.catalog.agents.list() } });

export const registerAgent: Handler = async (ctx, { params, body, identity }) => {
  const name = params.name as string;
  // An agent registers only itself.
  if (identity.scope === 'agent' && identity.agentName !== name) throw new UnauthorizedError(`this token belongs to agent ${identity.agentName}`);
  const b = body as { hostname?: string; version?: string; capabilities?: AgentCapabilities };
  const agent = await ctx.catalog.agents.upsert({ name, hostname: b.hostname, version: b.version, capabilities: b.capabilities });
  // The agent is back: start the scheduled backups it missed. A failure here must not
  // stop the agent from registering; the next registration tries again.
  await startCatchUpRuns(ctx, name).catch((err: unknown) => ctx.logger.error({ err, agent: name }, 'catch-up runs failed to start'));
  return { status: 200, body: agent };
};
