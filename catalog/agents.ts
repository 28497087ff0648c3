// The agents aggregate: the agents an agent worker registered, and their reported state.
// Revocation, certificates and heartbeats are the identity aggregate (catalog/identity.ts).
import type { Agent, AgentCapabilities } from '../contract/model';
import { agentStatus } from '../core/agent-health';
import type { Session } from './db';
import { iso, isoOrNull, numOrNull, orNull, type Row } from './rows';

// --- rows ----------------------------------------------------------------------------
/** An agent row as stored: the model without its status, plus what decides the status. */
export interface AgentRecord extends Omit<Agent, 'status'> {
  heartbeatIntervalMs: number | null;
}

export const agentFromRow = (r: Row): AgentRecord => ({
  id: Number(r.id),
  name: String(r.name),
  hostname: orNull<string>(r.hostname),
  version: orNull<string>(r.version),
  lastSeenAt: isoOrNull(r.last_seen_at),
  createdAt: iso(r.created_at),
  os: orNull<string>(r.os),
  capabilities: orNull<AgentCapabilities>(r.capabilities),
  revokedAt: isoOrNull(r.revoked_at),
  heartbeatIntervalMs: numOrNull(r.heartbeat_interval_ms),
});

// --- rules ---------------------------------------------------------------------------
/** The agent as the API shows it: its status decided at `now` (core/agent-health.ts). */
export const agentAt = (a: AgentRecord, now: Date): Agent => ({
  id: a.id,
  name: a.name,
  hostname: a.hostname,
  version: a.version,
  lastSeenAt: a.lastSeenAt,
  createdAt: a.createdAt,
  status: agentStatus(a, now),
  os: a.os,
  capabilities: a.capabilities,
  revokedAt: a.revokedAt,
});

// --- queries -------------------------------------------------------------------------
export class Agents {
  constructor(
    private readonly s: Session,
    private readonly now: () => Date,
  ) {}

  /** Registers an agent; capabilities left out keep what it reported before. */
  async upsert(a: { name: string; hostname?: string | null; version?: string | null; capabilities?: AgentCapabilities }): Promise<Agent> {
    const { rows } = await this.s.q.query(
      `INSERT INTO agents (name, hostname, version, capabilities, last_seen_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (name) DO UPDATE SET hostname = EXCLUDED.hostname, version = EXCLUDED.version,
         capabilities = COALESCE(EXCLUDED.capabilities, agents.capabilities), last_seen_at = now()
       RETURNING *`,
      [a.name, a.hostname ?? null, a.version ?? null, a.capabilities === undefined ? null : JSON.stringify(a.capabilities)],
    );
    return this.view(rows[0]!);
  }

  async list(): Promise<Agent[]> {
    const { rows } = await this.s.q.query('SELECT * FROM agents ORDER BY name');
    return rows.map((r) => this.view(r));
  }

  async findByName(name: string): Promise<Agent | null> {
    const { rows } = await this.s.q.query('SELECT * FROM agents WHERE name = $1', [name]);
    return rows[0] ? this.view(rows[0]) : null;
  }

  private view(r: Row): Agent {
    return agentAt(agentFromRow(r), this.now());
  }
}
