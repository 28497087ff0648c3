// Whether an agent is reachable, from its last heartbeat. Pure, so the rule has one home.

/** An agent's heartbeat interval when it never reported one (older agents, first register). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
/** Missed heartbeats after which an agent counts as unreachable. */
export const MISSED_HEARTBEATS = 3;

export type AgentStatus = 'reachable' | 'unreachable' | 'revoked';

export function agentStatus(a: { lastSeenAt: string | null; heartbeatIntervalMs: number | null; revokedAt: string | null }, now: Date): AgentStatus {
  if (a.revokedAt) return 'revoked';
  if (!a.lastSeenAt) return 'unreachable';
  const interval = a.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  return now.getTime() - new Date(a.lastSeenAt).getTime() > MISSED_HEARTBEATS * interval ? 'unreachable' : 'reachable';
}
