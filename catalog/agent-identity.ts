// Catalog side of agent identity: bootstrap tokens, the internal CA, issued certificates,
// agent revocation and heartbeats. Kept apart from store.ts; same conventions.
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { withTransaction } from './db';
import { hashToken } from './store';
import { decideEnrollment, type BootstrapTokenRow, type EnrollmentRequest, type ExistingAgent } from '../core/bootstrap-token';
import { NotFoundError } from '../contract/errors';
import type { CertificateAuthority, IssuedCertificate } from '../core/pki';
import type { SecretBox } from '../core/secrets';

type Row = Record<string, unknown>;
const isoOrNull = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));

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

const toBootstrapToken = (r: Row): BootstrapToken => ({
  id: Number(r.id),
  description: (r.description as string | null) ?? null,
  agentName: (r.agent_name as string | null) ?? null,
  maxUses: Number(r.max_uses),
  uses: Number(r.uses),
  expiresAt: isoOrNull(r.expires_at)!,
  createdAt: isoOrNull(r.created_at)!,
  revokedAt: isoOrNull(r.revoked_at),
});

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

const CA_CONTEXT = 'internal-ca:1';

export class AgentIdentityStore {
  constructor(private readonly db: Pool) {}

  // --- bootstrap tokens --------------------------------------------------------------
  /** Creates a token and returns it once; only its hash is stored. */
  async createBootstrapToken(t: { description?: string; agentName?: string; maxUses: number; expiresAt: Date }): Promise<{ token: string; record: BootstrapToken }> {
    const token = `bsb_${randomBytes(24).toString('base64url')}`;
    const { rows } = await this.db.query(
      `INSERT INTO agent_bootstrap_tokens (token_hash, description, agent_name, max_uses, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [hashToken(token), t.description ?? null, t.agentName ?? null, t.maxUses, t.expiresAt],
    );
    return { token, record: toBootstrapToken(rows[0]!) };
  }

  async listBootstrapTokens(): Promise<BootstrapToken[]> {
    const { rows } = await this.db.query('SELECT * FROM agent_bootstrap_tokens ORDER BY id');
    return rows.map(toBootstrapToken);
  }

  async revokeBootstrapToken(id: number): Promise<BootstrapToken> {
    const { rows } = await this.db.query(`UPDATE agent_bootstrap_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`, [id]);
    if (!rows[0]) throw new NotFoundError(`bootstrap token ${id} not found`);
    return toBootstrapToken(rows[0]);
  }

  /**
   * Spends one use of the token and records the agent with its new certificate, all in one
   * transaction (the token row is locked, so two enrollments cannot share its last use).
   * `sign` makes the certificate once the name is decided; a replace revokes the old ones.
   */
  async enroll(token: string, req: EnrollmentRequest, sign: (agentName: string) => Promise<IssuedCertificate>, now = new Date()): Promise<{ agentName: string; issued: IssuedCertificate }> {
    return withTransaction(this.db, async (c) => {
      const { rows } = await c.query('SELECT * FROM agent_bootstrap_tokens WHERE token_hash = $1 FOR UPDATE', [hashToken(token)]);
      const row = rows[0];
      const tokenRow: BootstrapTokenRow | null = row
        ? { id: Number(row.id), agentName: row.agent_name ?? null, maxUses: Number(row.max_uses), uses: Number(row.uses), expiresAt: new Date(row.expires_at), revokedAt: row.revoked_at ? new Date(row.revoked_at) : null }
        : null;
      const name = req.name ?? tokenRow?.agentName ?? undefined;
      const existing = name ? await this.enrollmentState(c, name) : null;
      const agentName = decideEnrollment(tokenRow, req, existing, now);
      await c.query('UPDATE agent_bootstrap_tokens SET uses = uses + 1 WHERE id = $1', [tokenRow!.id]);
      const { rows: agents } = await c.query(
        `INSERT INTO agents (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET revoked_at = NULL RETURNING id`,
        [agentName],
      );
      const agentId = Number(agents[0]!.id);
      // Replacing: whatever certificate or agent token the name had is useless from now on.
      await c.query('UPDATE agent_certificates SET revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL', [agentId]);
      await c.query(`UPDATE api_tokens SET revoked_at = now() WHERE scope = 'agent' AND agent_name = $1 AND revoked_at IS NULL`, [agentName]);
      const issued = await sign(agentName);
      await this.insertCertificate(c, agentId, issued);
      return { agentName, issued };
    });
  }

  private async enrollmentState(c: PoolClient, name: string): Promise<ExistingAgent | null> {
    const { rows } = await c.query(
      `SELECT a.revoked_at,
              EXISTS (SELECT 1 FROM agent_certificates ac WHERE ac.agent_id = a.id AND ac.revoked_at IS NULL AND ac.not_after > now()) AS live_cert,
              EXISTS (SELECT 1 FROM api_tokens t WHERE t.scope = 'agent' AND t.agent_name = a.name AND t.revoked_at IS NULL) AS live_token
         FROM agents a WHERE a.name = $1 FOR UPDATE`,
      [name],
    );
    if (!rows[0]) return null;
    return { hasLiveCertificate: Boolean(rows[0].live_cert), hasLiveToken: Boolean(rows[0].live_token), revoked: rows[0].revoked_at !== null };
  }

  private async insertCertificate(c: PoolClient | Pool, agentId: number, issued: IssuedCertificate): Promise<void> {
    await c.query(`INSERT INTO agent_certificates (agent_id, serial, fingerprint, not_before, not_after) VALUES ($1, $2, $3, $4, $5)`, [
      agentId,
      issued.serial,
      issued.fingerprint,
      issued.notBefore,
      issued.notAfter,
    ]);
  }

  /** A renewed certificate for an agent that is not revoked; the old one stays valid until it expires. */
  async recordRenewal(agentName: string, issued: IssuedCertificate): Promise<void> {
    await withTransaction(this.db, async (c) => {
      const { rows } = await c.query('SELECT id FROM agents WHERE name = $1 AND revoked_at IS NULL FOR UPDATE', [agentName]);
      if (!rows[0]) throw new NotFoundError(`agent ${agentName} not found or revoked`);
      await this.insertCertificate(c, Number(rows[0].id), issued);
    });
  }

  /**
   * The agent a TLS client certificate belongs to, checked on every request: unknown,
   * revoked, expired, or belonging to a revoked agent all answer null.
   */
  async findCertificate(fingerprint: string): Promise<CertificateIdentity | null> {
    const { rows } = await this.db.query(
      `SELECT a.name, ac.fingerprint, ac.not_after FROM agent_certificates ac JOIN agents a ON a.id = ac.agent_id
        WHERE ac.fingerprint = $1 AND ac.revoked_at IS NULL AND a.revoked_at IS NULL AND ac.not_after > now() AND ac.not_before <= now()`,
      [fingerprint],
    );
    const r = rows[0];
    return r ? { agentName: String(r.name), fingerprint: String(r.fingerprint), notAfter: isoOrNull(r.not_after)! } : null;
  }

  /** Revokes the agent and every certificate and agent token it holds. */
  async revokeAgent(name: string): Promise<void> {
    await withTransaction(this.db, async (c) => {
      const { rows } = await c.query('UPDATE agents SET revoked_at = COALESCE(revoked_at, now()) WHERE name = $1 RETURNING id', [name]);
      if (!rows[0]) throw new NotFoundError(`agent ${name} not found`);
      await c.query('UPDATE agent_certificates SET revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL', [rows[0].id]);
      await c.query(`UPDATE api_tokens SET revoked_at = now() WHERE scope = 'agent' AND agent_name = $1 AND revoked_at IS NULL`, [name]);
    });
  }

  /**
   * Lifts a revocation (the agent's old certificates and tokens stay revoked): for an
   * operator who has just given the agent new credentials on its own machine.
   */
  async reinstateAgent(name: string): Promise<void> {
    await this.db.query('UPDATE agents SET revoked_at = NULL WHERE name = $1', [name]);
  }

  async isAgentRevoked(name: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT revoked_at FROM agents WHERE name = $1', [name]);
    return Boolean(rows[0] && rows[0].revoked_at !== null);
  }

  /** What the agent reports every heartbeat; also its last-seen time. */
  async recordHeartbeat(name: string, h: AgentHealthReport): Promise<void> {
    await this.db.query(
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
    await this.db.query(`INSERT INTO internal_ca (id, cert_pem, key_sealed) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [ca.certPem, secrets.seal(ca.keyPem, CA_CONTEXT)]);
    return (await this.loadCa(secrets))!;
  }

  private async loadCa(secrets: SecretBox): Promise<CertificateAuthority | null> {
    const { rows } = await this.db.query('SELECT cert_pem, key_sealed FROM internal_ca WHERE id = 1');
    if (!rows[0]) return null;
    return { certPem: String(rows[0].cert_pem), keyPem: secrets.open(String(rows[0].key_sealed), CA_CONTEXT) };
  }
}
