// How an agent's run log batches reach the catalog: through the API, as this agent.
import type { RunLogEntry } from '../../contract/run-log';
import type { RunLogTransport } from '../shared/run-log-sink';
import type { AgentHttp } from './api-http';

/** Agents have no catalog access: POST /v1/agent/runs/{runId}/log as this agent. */
export class ApiRunLogTransport implements RunLogTransport {
  constructor(
    private readonly http: AgentHttp,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(runId: string, entries: RunLogEntry[]): Promise<void> {
    const res = await this.http.request('POST', `/v1/agent/runs/${encodeURIComponent(runId)}/log`, { lines: entries }, this.timeoutMs);
    if (!res.ok) throw new Error(`API answered ${res.status} to a run log batch`);
  }
}
