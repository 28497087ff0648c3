// How the server worker's run log batches reach the catalog: straight in. Agents have their
// own transport through the API (activities/agent/run-log-transport.ts).
import type { RunLogEntry } from '../../contract/run-log';
import type { RunLogWriter } from '../../catalog/run-log-writer';
import type { RunLogTransport } from '../shared/run-log-sink';

/** Writes through the same redacting writer as the API. */
export class CatalogRunLogTransport implements RunLogTransport {
  constructor(private readonly writer: RunLogWriter) {}

  async send(runId: string, entries: RunLogEntry[]): Promise<void> {
    await this.writer.write(runId, entries);
  }
}
