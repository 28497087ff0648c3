import { UnauthorizedError } from '../../core/errors';
import type { Handler } from '../context';

export const listAgents: Handler = async (ctx) => ({ status: 200, body: { items: await ctx.catalog.listAgents() } });

export const registerAgent: Handler = async (ctx, { params, body, identity }) => {
  const name = params.name as string;
  // An agent registers only itself.
  if (identity.scope === 'agent' && identity.agentName !== name) throw new UnauthorizedError(`this token belongs to agent ${identity.agentName}`);
  const b = body as { hostname?: string; version?: string };
  return { status: 200, body: await ctx.catalog.upsertAgent(ctx.catalog.db, { name, hostname: b.hostname, version: b.version }) };
};
