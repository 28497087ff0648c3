// The identity aggregate: who may call the API and as whom. API tokens, bootstrap tokens
// and enrollment, the internal CA, issued certificates, agent revocation and heartbeats.
import { createHash, randomBytes } from 'node:crypto';
import { decideEnrollment, type BootstrapTokenRow, type EnrollmentRequest, type ExistingAgent } from '../core/bootstrap-token';
import { NotFoundError } from '../contract/errors';
import type { CertificateAuthority, IssuedCertificate } from '../core/pki';
import type { SecretBox } from '../core/secrets';
import type { Queryable, Session } from './db';
import { iso, isoOrNull, one, orNull, type Row } from './rows';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenIdentity {
  name: string;
  scope: 'admin' | 'agent';
  agentName: string | null;
  /** Set when the agent proved itself with its client certificate (mTLS), not a token. */
  certificateFingerprint?: string;
  /** Set on enrollment only: the bootstrap token from the Authorization header, checked by the handler. */
  bootstrapToken?: string;
  /** Set when the caller is the web console, by its session cookie (sign-out ends this session). */
  consoleSessionId?: string;
}

export interface BootstrapToken {
  id: number;
  description: string | null;
  agentName: string | null;
  maxUses: number;
  uses: number;
  expiresAt: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface CertificateIdentity {
  agentName: string;
  fingerprint: string;
  notAfter: string;
}

export interface AgentHealthReport {
  hostname?: string;
  version?: string;
  os?: string;
  capabilities?: unknown;
  heartbeatIntervalMs?: number;
}

export const CA_CONTEXT = 'internal-ca:1';

// --- rows ----------------------------------------------------------------------------
export const tokenIdentityFromRow = (r: Row): TokenIdentity => ({ name: String(r.name), scope: r.scope as 'admin' | 'agent', agentName: orNull<string>(r.agent_name) });

export const bootstrapTokenFromRow = (r: Row): BootstrapToken => ({
  id: Number(r.id),
  description: orNull<string>(r.description),
  agentName: orNull<string>(r.agent_name),
  maxUses: Number(r.max_uses),
  uses: Number(r.uses),
  expiresAt: iso(r.expires_at),
  createdAt: iso(r.created_at),
  revokedAt: isoOrNull(r.revoked_at),
});

/** The token row as core/bootstrap-token.ts decides on it (dates as Dates). */
export const bootstrapTokenRowFromRow = (r: Row): BootstrapTokenRow => ({
  id: Number(r.id),
  agentName: orNull<string>(r.agent_name),
  maxUses: Number(r.max_uses),
  uses: Number(r.uses),
  expiresAt: new Date(r.expires_at as Date | string),
  revokedAt: r.revoked_at ? new Date(r.revoked_at as Date | string) : null,
});

export const existingAgentFromRow = (r: Row): ExistingAgent => ({
  hasLiveCertificate: Boolean(r.live_cert),
  hasLiveToken: Boolean(r.live_token),
  revoked: r.revoked_at !== null,
});

export const certificateIdentityFromRow = (r: Row): CertificateIdentity => ({ agentName: String(r.name), fingerprint: String(r.fingerprint), notAfter: iso(r.not_after) });

// --- queries -------------------------------------------------------------------------
export class Identity {
  constructor(private readonly s: Session) {}

  // --- API tokens ----------------------------------------------------------------------
  /** Creates a token and returns it; only its hash is stored. */
  async createToken(t: { name: string; scope: 'admin' | 'agent'; agentName?: string }): Promise<string> {
    const token = `bst_${randomBytes(24).toString('base64url')}`;
    await this.s.q.query(`INSERT INTO api_tokens (name, token_hash, scope, agent_name) VALUES ($1, $2, $3, $4)`, [t.name, hashToken(token), t.scope, t.agentName ?? null]);
    return token;
  }

  async findToken(token: string): Promise<TokenIdentity | null> {
    const { rows } = await this.s.q.query(`SELECT name, scope, agent_name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [hashToken(token)]);
    return rows[0] ? tokenIdentityFromRow(rows[0]) : null;
  }

  // --- bootstrap tokens --------------------------------------------------------------
  /** Creates a token and returns it once; only its hash is stored. */
  async createBootstrapToken(t: { description?: string; agentName?: string; maxUses: number; expiresAt: Date }): Promise<{ token: string; record: BootstrapToken }> {
    const token = `bsb_${randomBytes(24).toString('base64url')}`;
    const { rows } = await this.s.q.query(
      `INSERT INTO agent_bootstrap_tokens (token_hash, description, agent_name, max_uses, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [hashToken(token), t.description ?? null, t.agentName ?? null, t.maxUses, t.expiresAt],
    );
    return { token, record: bootstrapTokenFromRow(rows[0]!) };
  }

  async listBootstrapTokens(): Promise<BootstrapToken[]> {
    const { rows } = await this.s.q.query('SELECT * FROM agent_bootstrap_tokens ORDER BY id');
    return rows.map(bootstrapTokenFromRow);
  }

  async revokeBootstrapToken(id: number): Promise<BootstrapToken> {
    const { rows } = await this.s.q.query(`UPDATE agent_bootstrap_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`, [id]);
    return bootstrapTokenFromRow(one(rows, `bootstrap token ${id}`));
  }

  /**
   * Spends one use of the token and records the agent with its new certificate, all in one
   * transaction (the token row is locked, so two enrollments cannot share its last use).
   * `sign` makes the certificate once the name is decided; a replace revokes the old ones.
   */
  async enroll(token: string, req: EnrollmentRequest, sign: (agentName: string) => Promise<IssuedCertificate>, now = new Date()): Promise<{ agentName: string; issued: IssuedCertificate }> {
    return this.s.transaction(async (tx) => {
      const { rows } = await tx.query('SELECT * FROM agent_bootstrap_tokens WHERE token_hash = $1 FOR UPDATE', [hashToken(token)]);
      const tokenRow = rows[0] ? bootstrapTokenRowFromRow(rows[0]) : null;
      const name = req.name ?? tokenRow?.agentName ?? undefined;
      const existing = name ? await this.enrollmentState(tx, name) : null;
      const agentName = decideEnrollment(tokenRow, req, existing, now);
      await tx.query('UPDATE agent_bootstrap_tokens SET uses = uses + 1 WHERE id = $1', [tokenRow!.id]);
      const { rows: agents } = await tx.query(`INSERT INTO agents (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET revoked_at = NULL RETURNING id`, [agentName]);
      const agentId = Number(agents[0]!.id);
      // Replacing: whatever certificate or agent token the name had is useless from now on.
      await revokeCredentials(tx, agentId, agentName);
      const issued = await sign(agentName);
      await insertCertificate(tx, agentId, issued);
      return { agentName, issued };
    });
  }

  private async enrollmentState(tx: Queryable, name: string): Promise<ExistingAgent | null> {
    const { rows } = await tx.query(
      `SELECT a.revoked_at,
              EXISTS (SELECT 1 FROM agent_certificates ac WHERE ac.agent_id = a.id AND ac.revoked_at IS NULL AND ac.not_after > now()) AS live_cert,
              EXISTS (SELECT 1 FROM api_tokens t WHERE t.scope = 'agent' AND t.agent_name = a.name AND t.revoked_at IS NULL) AS live_token
         FROM agents a WHERE a.name = $1 FOR UPDATE`,
      [name],
    );
    return rows[0] ? existingAgentFromRow(rows[0]) : null;
  }

  // --- certificates --------------------------------------------------------------------
  /** A renewed certificate for an agent that is not revoked; the old one stays valid until it expires. */
  async recordRenewal(agentName: string, issued: IssuedCertificate): Promise<void> {
    await this.s.transaction(async (tx) => {
      const { rows } = await tx.query('SELECT id FROM agents WHERE name = $1 AND revoked_at IS NULL FOR UPDATE', [agentName]);
      if (!rows[0]) throw new NotFoundError(`agent ${agentName} not found or revoked`);
      await insertCertificate(tx, Number(rows[0].id), issued);
    });
  }

  /**
   * The agent a TLS client certificate belongs to, checked on every request: unknown,
   * revoked, expired, or belonging to a revoked agent all answer null.
   */
  async findCertificate(fingerprint: string): Promise<CertificateIdentity | null> {
    const { rows } = await this.s.q.query(
      `SELECT a.name, ac.fingerprint, ac.not_after FROM agent_certificates ac JOIN agents a ON a.id = ac.agent_id
        WHERE ac.fingerprint = $1 AND ac.revoked_at IS NULL AND a.revoked_at IS NULL AND ac.not_after > now() AND ac.not_before <= now()`,
      [fingerprint],
    );
    return rows[0] ? certificateIdentityFromRow(rows[0]) : null;
  }

  // --- revocation and heartbeats ---------------------------------------------------------
  /** Revokes the agent and every certificate and agent token it holds. */
  async revokeAgent(name: string): Promise<void> {
    await this.s.transaction(async (tx) => {
      const { rows } = await tx.query('UPDATE agents SET revoked_at = COALESCE(revoked_at, now()) WHERE name = $1 RETURNING id', [name]);
      const agent = one(rows, `agent ${name}`);
      await revokeCredentials(tx, agent.id, name);
    });
  }

  /**
   * Lifts a revocation (the agent's old certificates and tokens stay revoked): for an
   * operator who has just given the agent new credentials on its own machine.
   */
  async reinstateAgent(name: string): Promise<void> {
    await this.s.q.query('UPDATE agents SET revoked_at = NULL WHERE name = $1', [name]);
  }

  /** What the agent reports every heartbeat; also its last-seen time. */
  async recordHeartbeat(name: string, h: AgentHealthReport): Promise<void> {
    await this.s.q.query(
      `INSERT INTO agents (name, hostname, version, os, capabilities, heartbeat_interval_ms, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (name) DO UPDATE SET
         hostname = COALESCE(EXCLUDED.hostname, agents.hostname), version = COALESCE(EXCLUDED.version, agents.version),
         os = COALESCE(EXCLUDED.os, agents.os), capabilities = COALESCE(EXCLUDED.capabilities, agents.capabilities),
         heartbeat_interval_ms = COALESCE(EXCLUDED.heartbeat_interval_ms, agents.heartbeat_interval_ms), last_seen_at = now()`,
      [name, h.hostname ?? null, h.version ?? null, h.os ?? null, h.capabilities === undefined ? null : JSON.stringify(h.capabilities), h.heartbeatIntervalMs ?? null],
    );
  }

  // --- internal CA ---------------------------------------------------------------------
  /**
   * The CA, made on first start. Two API processes starting at once both make one; the
   * first insert wins and both use the stored one. The key is sealed with the master key.
   */
  async ensureCertificateAuthority(secrets: SecretBox, create: () => Promise<CertificateAuthority>): Promise<CertificateAuthority> {
    const existing = await this.loadCa(secrets);
    if (existing) return existing;
    const ca = await create();
    await this.s.q.query(`INSERT INTO internal_ca (id, cert_pem, key_sealed) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [ca.certPem, secrets.seal(ca.keyPem, CA_CONTEXT)]);
    return (await this.loadCa(secrets))!;
  }

  private async loadCa(secrets: SecretBox): Promise<CertificateAuthority | null> {
    const { rows } = await this.s.q.query('SELECT cert_pem, key_sealed FROM internal_ca WHERE id = 1');
    if (!rows[0]) return null;
    return { certPem: String(rows[0].cert_pem), keyPem: secrets.open(String(rows[0].key_sealed), CA_CONTEXT) };
  }
}

/**
 * Revokes every credential an agent holds: its certificates and its agent tokens. Both a
 * re-enrolment (which replaces them) and a revocation go through here, so a new kind of
 * credential cannot be left out of one of them.
 */
async function revokeCredentials(q: Queryable, agentId: number, agentName: string): Promise<void> {
  await q.query('UPDATE agent_certificates SET revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL', [agentId]);
  await q.query(`UPDATE api_tokens SET revoked_at = now() WHERE scope = 'agent' AND agent_name = $1 AND revoked_at IS NULL`, [agentName]);
}

async function insertCertificate(q: Queryable, agentId: number, issued: IssuedCertificate): Promise<void> {
  await q.query(`INSERT INTO agent_certificates (agent_id, serial, fingerprint, not_before, not_after) VALUES ($1, $2, $3, $4, $5)`, [
    agentId,
    issued.serial,
    issued.fingerprint,
    issued.notBefore,
    issued.notAfter,
  ]);
}
