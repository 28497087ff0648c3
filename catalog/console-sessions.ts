// Console sessions: a signed-in browser's cookie names a session, which stands for the admin
// token it was opened with (migration 019). Only hashes of session ids are stored.
import { randomBytes } from 'node:crypto';
import type { Session } from './db';
import { hashToken, type TokenIdentity } from './identity';
import { iso } from './rows';

export interface ConsoleSession {
  /** The cookie's value; returned once, at sign-in. */
  id: string;
  csrfToken: string;
  identity: TokenIdentity;
  expiresAt: string;
}

export class ConsoleSessions {
  constructor(private readonly s: Session) {}

  /**
   * Opens a session for an admin token, or null when the token is unknown, revoked or an
   * agent's (agents never use the console). Expired sessions are swept on the way.
   */
  async open(token: string, lifetimeMs: number): Promise<ConsoleSession | null> {
    await this.s.q.query('DELETE FROM console_sessions WHERE expires_at < now()');
    const id = `bss_${randomBytes(32).toString('base64url')}`;
    const csrfToken = randomBytes(32).toString('base64url');
    const { rows } = await this.s.q.query(
      `INSERT INTO console_sessions (session_hash, token_id, csrf_token, expires_at)
       SELECT $1, id, $2, now() + make_interval(secs => $4::double precision / 1000)
         FROM api_tokens WHERE token_hash = $3 AND revoked_at IS NULL AND scope = 'admin'
       RETURNING expires_at, (SELECT name FROM api_tokens WHERE token_hash = $3) AS name`,
      [hashToken(id), csrfToken, hashToken(token), lifetimeMs],
    );
    const r = rows[0];
    if (!r) return null;
    return { id, csrfToken, identity: { name: String(r.name), scope: 'admin', agentName: null }, expiresAt: iso(r.expires_at) };
  }

  /** The live session a cookie names (its token still valid), or null. */
  async find(id: string): Promise<Omit<ConsoleSession, 'id'> | null> {
    const { rows } = await this.s.q.query(
      `SELECT s.csrf_token, s.expires_at, t.name FROM console_sessions s JOIN api_tokens t ON t.id = s.token_id
        WHERE s.session_hash = $1 AND s.expires_at > now() AND t.revoked_at IS NULL AND t.scope = 'admin'`,
      [hashToken(id)],
    );
    const r = rows[0];
    if (!r) return null;
    return { csrfToken: String(r.csrf_token), identity: { name: String(r.name), scope: 'admin', agentName: null }, expiresAt: iso(r.expires_at) };
  }

  /** Sign-out: the cookie's session is gone even if the browser keeps the cookie. */
  async close(id: string): Promise<void> {
    await this.s.q.query('DELETE FROM console_sessions WHERE session_hash = $1', [hashToken(id)]);
  }
}
