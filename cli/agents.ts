// `backstop agents …`, `backstop agent-tokens …` and `backstop agent enroll` (also
// `backstop-agent enroll`).
import type { ApiClient } from '../core/api-client';
import { parseDuration } from '../core/bootstrap-token';
import { flag } from './args';

export const AGENTS_USAGE = `  agents list             agents with status (reachable/unreachable/revoked), last seen, version
  agents revoke <name>    revoke an agent: its certificates and tokens are refused at once
  agent-tokens create [--expires-in 24h] [--max-uses 1] [--agent <name>] [--description <text>]
                          a bootstrap token to enroll agents with (printed once)
  agent-tokens list       bootstrap tokens (never the tokens themselves)
  agent-tokens revoke <id>
  agent enroll --server <url> --token <bootstrap token> [--name <name>] [--replace] [--ca-fingerprint <sha256>]
                          on the agent machine: make a key and CSR, get a certificate, store
                          them in BACKSTOP_AGENT_HOME (default /etc/backstop-agent)`;


export async function agentsCommand(api: ApiClient, sub: string, args: string[]): Promise<number> {
  if (sub === 'list') {
    console.table(
      (await api.listAgents()).map((a) => ({ name: a.name, status: a.status, lastSeen: a.lastSeenAt ?? '', version: a.version ?? '', os: a.os ?? '', engines: a.capabilities?.engines.map((e) => `${e.name} ${e.version ?? ''}`).join(', ') ?? '' })),
    );
    return 0;
  }
  if (sub === 'revoke') {
    if (!args[0]) throw new Error('agents revoke needs an agent name');
    const a = await api.revokeAgent(args[0]);
    console.log(`agent ${a.name} revoked at ${a.revokedAt}`);
    return 0;
  }
  throw new Error(`unknown agents command ${sub}`);
}

export async function agentTokensCommand(api: ApiClient, sub: string, args: string[]): Promise<number> {
  if (sub === 'create') {
    const expires = flag(args, '--expires-in');
    const maxUses = flag(args, '--max-uses');
    const created = await api.createAgentToken({
      ...(expires ? { expiresInSeconds: Math.round(parseDuration(expires) / 1000) } : {}),
      ...(maxUses ? { maxUses: Number(maxUses) } : {}),
      ...(flag(args, '--agent') ? { agentName: flag(args, '--agent') } : {}),
      ...(flag(args, '--description') ? { description: flag(args, '--description') } : {}),
    });
    console.log(`bootstrap token ${created.id} (expires ${created.expiresAt}, ${created.maxUses} use(s)${created.agentName ? `, agent ${created.agentName} only` : ''}):`);
    console.log(created.token);
    console.log('It is shown only now.');
    console.log(`CA fingerprint (pin it with --ca-fingerprint or BACKSTOP_INIT_CA_FINGERPRINT): ${created.caFingerprint}`);
    return 0;
  }
  if (sub === 'list') {
    console.table((await api.listAgentTokens()).map((t) => ({ id: t.id, agent: t.agentName ?? '(any)', uses: `${t.uses}/${t.maxUses}`, expires: t.expiresAt, revoked: t.revokedAt ?? '', description: t.description ?? '' })));
    return 0;
  }
  if (sub === 'revoke') {
    const id = Number(args[0]);
    if (!Number.isInteger(id) || id < 1) throw new Error('agent-tokens revoke needs a token id');
    await api.revokeAgentToken(id);
    console.log(`bootstrap token ${id} revoked`);
    return 0;
  }
  throw new Error(`unknown agent-tokens command ${sub}`);
}
