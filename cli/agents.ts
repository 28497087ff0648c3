// `backstop agents list|revoke` and `backstop agent-tokens create|list|revoke`: the machines
// being backed up, and the bootstrap tokens that enroll them. (`backstop agent enroll`, run
// on the agent's machine, is a process command: processes.ts.)
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ApiAgent, ApiAgentToken } from '../core/api-client';
import { parseDuration } from '../core/bootstrap-token';
import { covers, defined, positiveInt, show, showTable, type CliContext } from './command-kit';
import { relativeTime } from './format';

export function durationSeconds(value: string): number {
  try {
    return Math.round(parseDuration(value) / 1000);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

export function registerAgents(agents: Command, tokens: Command, ctx: CliContext): void {
  covers(
    agents
      .command('list')
      .description('agents with status (reachable, unreachable, revoked), last seen, version and engines')
      .action(async () => {
        const answer = await ctx.api().request<{ items: ApiAgent[] }>('GET', '/v1/agents');
        const now = ctx.now();
        showTable(ctx, answer, answer.items, [
          { header: 'name', value: (a) => a.name },
          { header: 'status', value: (a) => a.status },
          { header: 'last seen', value: (a) => relativeTime(a.lastSeenAt, now) },
          { header: 'version', value: (a) => a.version },
          { header: 'os', value: (a) => a.os },
          { header: 'engines', value: (a) => a.capabilities?.engines.map((e) => `${e.name} ${e.version ?? ''}`.trim()).join(', ') },
        ]);
      }),
    'listAgents',
  );
  covers(
    agents
      .command('revoke')
      .description('revoke an agent: its certificates and tokens are refused at once')
      .argument('<name>', 'agent name')
      .action(async (name: string) => show(ctx, await ctx.api().revokeAgent(name), (a) => [`agent ${a.name} revoked at ${a.revokedAt}`])),
    'revokeAgent',
  );

  covers(
    tokens
      .command('create')
      .description('a bootstrap token to enroll agents with (printed once)')
      .option('--expires-in <duration>', 'valid for (30m, 24h, 7d)', durationSeconds)
      .option('--max-uses <n>', 'how many enrollments it allows', positiveInt)
      .option('--agent <name>', 'only for enrolling this agent name')
      .option('--description <text>', 'what it is for')
      .action(async (o: { expiresIn?: number; maxUses?: number; agent?: string; description?: string }) => {
        const created = await ctx.api().createAgentToken(defined({ expiresInSeconds: o.expiresIn, maxUses: o.maxUses, agentName: o.agent, description: o.description }));
        show(ctx, created, (c) => [
          `bootstrap token ${c.id} (expires ${c.expiresAt}, ${c.maxUses} use(s)${c.agentName ? `, agent ${c.agentName} only` : ''}):`,
          c.token,
          'It is shown only now.',
          `CA fingerprint (pin it with --ca-fingerprint or BACKSTOP_INIT_CA_FINGERPRINT): ${c.caFingerprint}`,
        ]);
      }),
    'createAgentToken',
  );
  covers(
    tokens
      .command('list')
      .description('bootstrap tokens (never the tokens themselves)')
      .action(async () => {
        const answer = await ctx.api().request<{ items: ApiAgentToken[] }>('GET', '/v1/agent-tokens');
        const now = ctx.now();
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (t) => t.id, right: true },
          { header: 'agent', value: (t) => t.agentName ?? '(any)' },
          { header: 'uses', value: (t) => `${t.uses}/${t.maxUses}` },
          { header: 'expires', value: (t) => relativeTime(t.expiresAt, now) },
          { header: 'revoked', value: (t) => relativeTime(t.revokedAt, now) },
          { header: 'description', value: (t) => t.description },
        ]);
      }),
    'listAgentTokens',
  );
  covers(
    tokens
      .command('revoke')
      .description('revoke a bootstrap token')
      .argument('<id>', 'token id', positiveInt)
      .action(async (id: number) => show(ctx, await ctx.api().revokeAgentToken(id), () => [`bootstrap token ${id} revoked`])),
    'revokeAgentToken',
  );
}
