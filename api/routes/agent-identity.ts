// Enrollment, bootstrap tokens, certificate renewal, revocation and heartbeats.
import { NotFoundError, UnauthorizedError } from '../../contract/errors';
import { fingerprintOf, signAgentCertificate } from '../../core/pki';
import { handler, type ApiContext, type ApiPki } from '../context';
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

export const listAgentTokens = handler('listAgentTokens', async (ctx) => ({ status: 200, body: { items: await identityParts(ctx).store.listBootstrapTokens() } }));

export const createAgentToken = handler('createAgentToken', async (ctx, { body }) => {
  const { store, pki } = identityParts(ctx);
  const { token, record } = await store.createBootstrapToken({
    description: body.description,
    agentName: body.agentName,
    maxUses: body.maxUses ?? 1,
    expiresAt: new Date(Date.now() + (body.expiresInSeconds ?? 86_400) * 1000),
  });
  return { status: 201, body: { ...record, token, caFingerprint: fingerprintOf(pki.ca.certPem) } };
});

export const revokeAgentToken = handler('revokeAgentToken', async (ctx, { params }) => ({ status: 200, body: await identityParts(ctx).store.revokeBootstrapToken(params.id) }));

export const enrollAgent = handler('enrollAgent', async (ctx, { body: b, identity }) => {
  const { store, pki } = identityParts(ctx);
  const { agentName, issued } = await store.enroll(identity.bootstrapToken!, { name: b.name, replace: b.replace === true }, (name) =>
    signAgentCertificate(pki.ca, b.csr, name, pki.agentCertLifetimeMs),
  );
  ctx.logger.info({ agent: agentName, serial: issued.serial, replace: b.replace === true }, 'agent enrolled');
  return { status: 201, body: { agentName, certificate: issued.certPem, caCertificate: pki.ca.certPem, notAfter: issued.notAfter.toISOString(), mtlsUrl: pki.mtlsUrl } };
});

export const renewAgentCertificate = handler('renewAgentCertificate', async (ctx, { body, identity }) => {
  const { store, pki } = identityParts(ctx);
  // Renewal proves possession of a live certificate; a bearer token cannot stand in for it.
  if (!identity.certificateFingerprint || !identity.agentName) throw new UnauthorizedError('renewal needs the agent certificate (mTLS)');
  const issued = await signAgentCertificate(pki.ca, body.csr, identity.agentName, pki.agentCertLifetimeMs);
  await store.recordRenewal(identity.agentName, issued);
  ctx.logger.info({ agent: identity.agentName, serial: issued.serial }, 'agent certificate renewed');
  return { status: 201, body: { agentName: identity.agentName, certificate: issued.certPem, caCertificate: pki.ca.certPem, notAfter: issued.notAfter.toISOString(), mtlsUrl: pki.mtlsUrl } };
});

/** Export certificates live a day at most: an agent that lost its token loses them soon after. */
const EXPORT_CERT_LIFETIME_MS = 86_400_000;

export const issueAgentExportCertificate = handler('issueAgentExportCertificate', async (ctx, { body, identity }) => {
  const { store, pki } = identityParts(ctx);
  if (identity.scope !== 'agent' || !identity.agentName) throw new UnauthorizedError('export certificates are for agents');
  const issued = await signAgentCertificate(pki.ca, body.csr, identity.agentName, Math.min(EXPORT_CERT_LIFETIME_MS, pki.agentCertLifetimeMs));
  await store.recordRenewal(identity.agentName, issued);
  ctx.logger.info({ agent: identity.agentName, serial: issued.serial }, 'export certificate issued');
  return { status: 201, body: { agentName: identity.agentName, certificate: issued.certPem, caCertificate: pki.ca.certPem, notAfter: issued.notAfter.toISOString(), mtlsUrl: pki.mtlsUrl } };
});

export const revokeAgent = handler('revokeAgent', async (ctx, { params, identity }) => {
  const name = params.name;
  await identityParts(ctx).store.revokeAgent(name);
  ctx.logger.warn({ agent: name, by: identity.name }, 'agent revoked');
  return { status: 200, body: await agentByName(ctx, name) };
});

export const agentHeartbeat = handler('agentHeartbeat', async (ctx, { body, identity }) => {
  if (!identity.agentName) throw new UnauthorizedError('heartbeats come from agents only');
  await identityParts(ctx).store.recordHeartbeat(identity.agentName, body);
  return { status: 200, body: await agentByName(ctx, identity.agentName) };
});
