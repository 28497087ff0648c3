import { agentStatus, DEFAULT_HEARTBEAT_INTERVAL_MS } from './agent-health';

const now = new Date('2026-11-24T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe('agentStatus', () => {
  it('is reachable within three intervals, unreachable after', () => {
    expect(agentStatus({ lastSeenAt: ago(29_000), heartbeatIntervalMs: 10_000, revokedAt: null }, now)).toBe('reachable');
    expect(agentStatus({ lastSeenAt: ago(30_000), heartbeatIntervalMs: 10_000, revokedAt: null }, now)).toBe('reachable');
    expect(agentStatus({ lastSeenAt: ago(30_001), heartbeatIntervalMs: 10_000, revokedAt: null }, now)).toBe('unreachable');
  });
  it('uses the default interval when the agent never reported one', () => {
    expect(agentStatus({ lastSeenAt: ago(3 * DEFAULT_HEARTBEAT_INTERVAL_MS - 1), heartbeatIntervalMs: null, revokedAt: null }, now)).toBe('reachable');
    expect(agentStatus({ lastSeenAt: ago(3 * DEFAULT_HEARTBEAT_INTERVAL_MS + 1), heartbeatIntervalMs: null, revokedAt: null }, now)).toBe('unreachable');
  });
  it('is unreachable when never seen and revoked when revoked', () => {
    expect(agentStatus({ lastSeenAt: null, heartbeatIntervalMs: null, revokedAt: null }, now)).toBe('unreachable');
    expect(agentStatus({ lastSeenAt: ago(0), heartbeatIntervalMs: null, revokedAt: ago(1) }, now)).toBe('revoked');
  });
});
