// Enrollment, bootstrap tokens, certificate renewal, revocation and heartbeats.
import { NotFoundError, UnauthorizedError } from '../../contract/errors';
import { fingerprintOf, signAgentCertificate } from '../../core/pki';
import type { AgentCapabilities } from '../../contract/model';
import type { ApiContext, ApiPki, Handler } from '../context';
import type { Identity } from '../../catalog/identity';

function identityParts(ctx: ApiContext): { store: Identity; pki: ApiPki } {
  if (!ctx.agentIdentity || !ctx.pki) throw new NotFoundError('agent enrollment is not configured on this API');
  return { store: ctx.agentIdentity, pki: ctx.pki };
}

async function agentByName(ctx: ApiContext, name: string) {
  const agent = await ctx.catalog.agents.findByName(name);
  if (!agent) throw new NotFoundError(`agent ${name} not found`);
  return agent;
}

export const listAgentTokens: Handler = async (ctx) => ({ status: 200, body: { items: await identityParts(ctx).store.listBootstrapTokens() } });

export const createAgentToken: Handler = async (ctx, { body }) => {
  const b = body as { description?: string; agentName?: string; maxUses?: number; expiresInSeconds?: number };
  const { store, pki } = identityParts(ctx);
  const { token, record } = await store.createBootstrapToken({
    description: b.description,
    agentName: b.agentName,
    maxUses: b.maxUses ?? 1,
    expiresAt: new Date(Date.now() + (b.expiresInSeconds ?? 86_400) * 1000),
  });
  return { status: 201, body: { ...record, token, caFingerprint: fingerprintOf(pki.ca.certPem) } };
};

export const revokeAgentToken: Handler = async (ctx, { params }) => ({ status: 200, body: await identityParts(ctx).store.revokeBootstrapToken(params.id as number) });

export const enrollAgent: Handler = async (ctx, { body, identity }) => {
  const { store, pki } = identityParts(ctx);
  const b = body as { name?: string; csr: string; replace?: boolean };
  const { agentName, issued } = await store.enroll(identity.bootstrapToken!, { name: b.name, replace: b.replace === true }, (name) =>
    signAgentCertificate(pki.ca, b.csr, name, pki.agentCertLifetimeMs),
  );
  ctx.logger.info({ agent: agentName, serial: issued.serial, replace: b.replace === true }, 'agent enrolled');
  return { status: 201, body: { agentName, certificate: issued.certPem, caCertificate: pki.ca.certPem, notAfter: issued.notAfter.toISOString(), mtlsUrl: pki.mtlsUrl } };
};

export const renewAgentCertificate: Handler = async (ctx, { body, identity }) => {
  const { store, pki } = identityParts(ctx);
  // Renewal proves possession of a live certificate; a bearer token cannot stand in for it.
  if (!identity.certificateFingerprint || !identity.agentName) throw new UnauthorizedError('renewal needs the agent certificate (mTLS)');
  const issued = await signAgentCertificate(pki.ca, (body as { csr: string }).csr, identity.agentName, pki.agentCertLifetimeMs);
  await store.recordRenewal(identity.agentName, issued);
  ctx.logger.info({ agent: identity.agentName, serial: issued.serial }, 'agent certificate renewed');
  return { status: 201, body: { agentName: identity.agentName, certificate: issued.certPem, caCertificate: pki.ca.certPem, notAfter: issued.notAfter.toISOString(), mtlsUrl: pki.mtlsUrl } };
};

export const revokeAgent: Handler = async (ctx, { params, identity }) => {
  const name = params.name as string;
  await identityParts(ctx).store.revokeAgent(name);
  ctx.logger.warn({ agent: name, by: identity.name }, 'agent revoked');
  return { status: 200, body: await agentByName(ctx, name) };
};

export const agentHeartbeat: Handler = async (ctx, { body, identity }) => {
  if (!identity.agentName) throw new UnauthorizedError('heartbeats come from agents only');
  const b = body as { hostname?: string; version?: string; os?: string; capabilities?: AgentCapabilities; heartbeatIntervalMs?: number };
  await identityParts(ctx).store.recordHeartbeat(identity.agentName, b);
  return { status: 200, body: await agentByName(ctx, identity.agentName) };
};
