// Who is calling: a bearer token (admin or agent, api_tokens), an agent's client
// certificate on the mTLS listener, or — for enrollment only — a bootstrap token.
import type { Request } from 'express';
import { TLSSocket } from 'node:tls';
import { UnauthorizedError } from '../contract/errors';
import { fingerprintOfDer } from '../core/pki';
import type { TokenIdentity } from '../catalog/identity';
import { AGENT_OPERATIONS, BOOTSTRAP_OPERATIONS, type ApiContext } from './context';

/**
 * The certificate the TLS handshake verified against the internal CA, looked up in the
 * catalog on every request: a certificate revoked a moment ago (or its agent's) is refused
 * at once, with no cache to wait out.
 */
async function certificateIdentity(ctx: ApiContext, req: Request): Promise<TokenIdentity | null> {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return null;
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return null;
  const fingerprint = fingerprintOfDer(peer.raw);
  const found = ctx.agentIdentity ? await ctx.agentIdentity.findCertificate(fingerprint) : null;
  if (!found) throw new UnauthorizedError('client certificate refused: unknown, expired or revoked');
  return { name: `agent ${found.agentName} (certificate)`, scope: 'agent', agentName: found.agentName, certificateFingerprint: fingerprint };
}

export async function authenticateRequest(ctx: ApiContext, req: Request, operationId: string): Promise<TokenIdentity> {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (BOOTSTRAP_OPERATIONS.has(operationId)) {
    if (!m) throw new UnauthorizedError('enrollment needs the bootstrap token as bearer token');
    return { name: 'bootstrap', scope: 'agent', agentName: null, bootstrapToken: m[1]! };
  }
  const identity = (await certificateIdentity(ctx, req)) ?? (m ? await ctx.catalog.identity.findToken(m[1]!) : null);
  if (!identity) throw new UnauthorizedError();
  if (identity.scope === 'agent' && !AGENT_OPERATIONS.has(operationId)) throw new UnauthorizedError('agent tokens cannot call this operation');
  return identity;
}
