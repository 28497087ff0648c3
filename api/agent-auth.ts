// Who is calling: a bearer token (admin or agent, api_tokens), an agent's client
// certificate on the mTLS listener, the web console's session cookie (with its CSRF token
// on state-changing requests), or — for enrollment only — a bootstrap token.
import type { Request } from 'express';
import { TLSSocket } from 'node:tls';
import { ForbiddenError, UnauthorizedError } from '../contract/errors';
import { fingerprintOfDer } from '../core/pki';
import type { TokenIdentity } from '../catalog/identity';
import { AGENT_OPERATIONS, BOOTSTRAP_OPERATIONS, PUBLIC_OPERATIONS, type ApiContext } from './context';
import { CSRF_HEADER, SESSION_COOKIE, csrfAllows, readCookie } from './console/session-cookie';

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

/**
 * The console's session cookie, when the request has no Authorization header. A request that
 * changes something must also carry the session's CSRF token: the cookie alone could have
 * been sent by another site's page.
 */
async function consoleIdentity(ctx: ApiContext, req: Request): Promise<TokenIdentity | null> {
  const sessionId = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!sessionId) return null;
  const session = await ctx.catalog.consoleSessions.find(sessionId);
  if (!session) throw new UnauthorizedError('the console session has ended: sign in again');
  if (!csrfAllows(req.method, req.headers[CSRF_HEADER], session.csrfToken)) throw new ForbiddenError('a state-changing request from the console needs its X-CSRF-Token');
  return { ...session.identity, consoleSessionId: sessionId };
}

export async function authenticateRequest(ctx: ApiContext, req: Request, operationId: string): Promise<TokenIdentity> {
  // The least an identity can be (an agent scope naming no agent): the sign-in handler reads
  // the token from its body and never looks at this.
  if (PUBLIC_OPERATIONS.has(operationId)) return { name: 'anonymous', scope: 'agent', agentName: null };
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (BOOTSTRAP_OPERATIONS.has(operationId)) {
    if (!m) throw new UnauthorizedError('enrollment needs the bootstrap token as bearer token');
    return { name: 'bootstrap', scope: 'agent', agentName: null, bootstrapToken: m[1]! };
  }
  const identity = (await certificateIdentity(ctx, req)) ?? (m ? await ctx.catalog.identity.findToken(m[1]!) : req.headers.authorization ? null : await consoleIdentity(ctx, req));
  if (!identity) throw new UnauthorizedError();
  if (identity.scope === 'agent' && !AGENT_OPERATIONS.has(operationId)) throw new UnauthorizedError('agent tokens cannot call this operation');
  return identity;
}
