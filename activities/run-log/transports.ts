// The two ways a sink's batches reach the catalog.
import type { RunLogEntry } from '../../core/run-log';
import type { RunLogWriter } from '../../catalog/run-log-writer';
import type { RunLogTransport } from './sink';
import type { AgentHttp } from '../../workers/agent-identity/http';

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

/** The server worker writes straight into the catalog, through the same redacting writer as the API. */
export class CatalogRunLogTransport implements RunLogTransport {
  constructor(private readonly writer: RunLogWriter) {}

  async send(runId: string, entries: RunLogEntry[]): Promise<void> {
    await this.writer.write(runId, entries);
  }
}
