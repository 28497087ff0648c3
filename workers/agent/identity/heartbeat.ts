// The agent's heartbeat: every interval it tells the API it is alive, with its version, OS
// and capabilities. The API marks it unreachable after three missed beats. A failed beat is
// logged and the next one tries again; it never stops the worker.
import { hostname, release, type } from 'node:os';
import type { AgentCapabilities } from '../../../contract/model';
import type { Logger } from '../../../core/logger';
import { VERSION } from '../../../core/version';
import type { AgentHttp } from '../../../activities/agent/api-http';

export function heartbeatBody(capabilities: AgentCapabilities, intervalMs: number) {
  return { hostname: hostname().slice(0, 255), version: VERSION, os: `${type()} ${release()} ${process.arch}`.slice(0, 255), capabilities, heartbeatIntervalMs: intervalMs };
}

/** The API refused the agent's credentials: revoked (or expired); retrying cannot help. */
export class CredentialsRefusedError extends Error {}

export async function sendHeartbeat(http: AgentHttp, capabilities: AgentCapabilities, intervalMs: number): Promise<void> {
  const res = await http.request('POST', '/v1/agent/heartbeat', heartbeatBody(capabilities, intervalMs), Math.max(5_000, intervalMs));
  if (res.status === 401) throw new CredentialsRefusedError(`the API refused this agent's credentials: ${res.text.slice(0, 200)}`);
  if (!res.ok) throw new Error(`API answered ${res.status} to a heartbeat: ${res.text.slice(0, 200)}`);
}

/**
 * Beats every interval. `onRefused` is called when the API refuses the agent (it was
 * revoked): the worker then stops taking tasks instead of polling on without credentials.
 */
export function startHeartbeatLoop(http: AgentHttp, capabilities: AgentCapabilities, intervalMs: number, logger: Logger, onRefused: (err: Error) => void = () => undefined): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    await sendHeartbeat(http, capabilities, intervalMs).catch((err: Error) => {
      logger.warn({ err: err.message }, 'heartbeat failed');
      if (err instanceof CredentialsRefusedError) onRefused(err);
    });
    if (!stopped) {
      timer = setTimeout(() => void beat(), intervalMs);
      timer.unref();
    }
  };
  void beat();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
