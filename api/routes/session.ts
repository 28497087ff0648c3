// Web console sign-in and sign-out (POST/GET/DELETE /v1/session): an admin token exchanged for
// an HttpOnly session cookie; api/agent-auth.ts accepts the cookie with its CSRF token.
import { NotFoundError, UnauthorizedError } from '../../contract/errors';
import { handler } from '../context';
import { SESSION_LIFETIME_MS, clearedSessionCookie, sessionCookie } from '../console/session-cookie';

export const createSession = handler('createSession', async (ctx, { body }) => {
  const session = await ctx.catalog.consoleSessions.open(body.token, SESSION_LIFETIME_MS);
  if (!session) throw new UnauthorizedError('sign-in needs a valid admin token');
  ctx.logger.info({ tokenName: session.identity.name }, 'console sign-in');
  return {
    status: 201,
    body: { name: session.identity.name, csrfToken: session.csrfToken, expiresAt: session.expiresAt, temporalUiUrl: ctx.temporalUiUrl ?? null },
    headers: { 'set-cookie': sessionCookie(session.id, SESSION_LIFETIME_MS, ctx.consoleCookieSecure ?? false), 'cache-control': 'no-store' },
  };
});

export const getSession = handler('getSession', async (ctx, { identity }) => {
  if (!identity.consoleSessionId) throw new NotFoundError('no console session: this request was made with a bearer token');
  const session = await ctx.catalog.consoleSessions.find(identity.consoleSessionId);
  if (!session) throw new NotFoundError('the console session has ended');
  return { status: 200, body: { name: session.identity.name, csrfToken: session.csrfToken, expiresAt: session.expiresAt, temporalUiUrl: ctx.temporalUiUrl ?? null }, headers: { 'cache-control': 'no-store' } };
});

export const deleteSession = handler('deleteSession', async (ctx, { identity }) => {
  if (identity.consoleSessionId) await ctx.catalog.consoleSessions.close(identity.consoleSessionId);
  return { status: 204, body: undefined, headers: { 'set-cookie': clearedSessionCookie(ctx.consoleCookieSecure ?? false) } };
});
