// The producing side of the run log: an activity writes lines into a sink, which redacts
// what it can, numbers them, and flushes batches every second and when the activity ends.
// A failed flush never fails the step: lines wait (bounded) for the next flush, and what
// cannot be kept is counted and reported in a line of its own.
import { Context } from '@temporalio/activity';
import type { Logger } from '../../core/logger';
import { redact } from '../../core/redact';
import { boundLine, RUN_LOG_MAX_BATCH, RUN_LOG_MAX_LINES, type RunLogEntry, type RunLogStream, type RunStep } from '../../contract/run-log';

/** Where batches go: the API (agents) or the catalog (server worker). */
export interface RunLogTransport {
  send(runId: string, entries: RunLogEntry[]): Promise<void>;
}

export interface RunLogSinkOptions {
  runId: string;
  step: RunStep;
  /** The producing activity's id and attempt (see RunLogEntry). */
  source: string;
  attempt: number;
  transport: RunLogTransport;
  logger: Logger;
  /** Secrets this process knows; the writer redacts the run's secrets again before storing. */
  secrets?: string[];
  flushEveryMs?: number;
  /** Lines held while the transport fails; beyond that the oldest are dropped and counted. */
  maxPending?: number;
  /** Lines this sink accepts in all (the catalog also bounds the whole run). */
  maxLines?: number;
}

export class RunLogSink {
  private pending: RunLogEntry[] = [];
  private n = 0;
  private dropped = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly secrets: string[];
  private failures = 0;
  private closed = false;

  constructor(private readonly o: RunLogSinkOptions) {
    this.secrets = [...(o.secrets ?? [])];
    this.timer = setInterval(() => void this.flush(), o.flushEveryMs ?? 1_000);
    this.timer.unref();
  }

  /** Secrets learnt after the sink opened (the repository password, once fetched). */
  addSecrets(...secrets: string[]): void {
    this.secrets.push(...secrets.filter((s) => s.length > 0));
  }

  line(stream: RunLogStream, text: string): void {
    if (this.closed) return;
    if (this.n >= (this.o.maxLines ?? RUN_LOG_MAX_LINES)) {
      this.dropped++;
      return;
    }
    this.push(stream, text);
    const max = this.o.maxPending ?? 2_000;
    if (this.pending.length > max) {
      this.dropped += this.pending.length - max;
      this.pending.splice(0, this.pending.length - max);
    }
  }

  private push(stream: RunLogStream, text: string): void {
    this.pending.push({
      source: this.o.source,
      attempt: this.o.attempt,
      n: this.n++,
      at: new Date().toISOString(),
      step: this.o.step,
      stream,
      line: redact(boundLine(text), this.secrets),
    });
  }

  /** Sends what is pending, one batch at a time; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.sendPending());
    return this.flushing;
  }

  private async sendPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = nextBatch(this.pending);
      try {
        await this.o.transport.send(this.o.runId, batch);
        this.pending.splice(0, batch.length);
        this.failures = 0;
      } catch (err) {
        // Logged on the first failure of a streak only: the API being down for a minute
        // must not write sixty warnings.
        if (this.failures++ === 0) this.o.logger.warn({ err, runId: this.o.runId, step: this.o.step }, 'run log flush failed; lines kept for the next flush');
        return;
      }
    }
  }

  /** Final flush when the activity ends; never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    if (this.dropped > 0) this.push('stderr', `[backstop] ${this.dropped} lines of this step were not kept (line limit reached or the API unreachable)`);
    this.closed = true;
    await this.flush();
    if (this.pending.length > 0) this.o.logger.warn({ runId: this.o.runId, step: this.o.step, lost: this.pending.length }, 'run log lines lost: the last flush failed');
  }
}

/** Bytes per batch, well under the API's 256 kB body limit even for lines of multi-byte characters. */
const MAX_BATCH_BYTES = 128 * 1024;

/** The first lines of `pending`: at most RUN_LOG_MAX_BATCH of them and about MAX_BATCH_BYTES, at least one. */
export function nextBatch(pending: RunLogEntry[]): RunLogEntry[] {
  let bytes = 0;
  let count = 0;
  for (const e of pending) {
    // The line plus the other fields and JSON punctuation (escapes at most double a line).
    bytes += 2 * Buffer.byteLength(e.line) + 160;
    if (count > 0 && (count >= RUN_LOG_MAX_BATCH || bytes > MAX_BATCH_BYTES)) break;
    count++;
  }
  return pending.slice(0, count);
}

/** Lines go nowhere: activities built without a transport (unit tests, tools). */
class DiscardTransport implements RunLogTransport {
  async send(): Promise<void> {}
}

/**
 * Runs `fn` with a sink for the current activity, closed (flushed) when it ends however it
 * ends. Without a transport the lines are discarded.
 */
export async function withRunLog<T>(
  transport: RunLogTransport | undefined,
  logger: Logger,
  runId: string,
  step: RunStep,
  fn: (log: RunLogSink) => Promise<T>,
  secrets: string[] = [],
): Promise<T> {
  const info = Context.current().info;
  const sink = new RunLogSink({ runId, step, source: info.activityId, attempt: info.attempt, transport: transport ?? new DiscardTransport(), logger, secrets });
  try {
    return await fn(sink);
  } finally {
    await sink.close();
  }
}
