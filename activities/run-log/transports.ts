// The two ways a sink's batches reach the catalog.
import type { RunLogEntry } from '../../core/run-log';
import type { RunLogWriter } from '../../catalog/run-log-writer';
import type { RunLogTransport } from './sink';

/** Agents have no catalog access: POST /v1/agent/runs/{runId}/log with the agent's token. */
export class ApiRunLogTransport implements RunLogTransport {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(runId: string, entries: RunLogEntry[]): Promise<void> {
    const res = await fetch(`${this.apiUrl}/v1/agent/runs/${encodeURIComponent(runId)}/log`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: entries }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // The body is a count; read it so the connection is reused.
    await res.text();
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
