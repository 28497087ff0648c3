// Runs asked for through the API while the chaos goes on, on top of the schedules: per-minute
// schedules alone give a short soak too few runs. At random moments (the seed's 'load'
// stream) a random job gets a new churn file and a run, POST /v1/jobs/{id}/run with an
// Idempotency-Key of its own. A request that meets a dead API or catalog is sent again with
// the same key, as a careful client would; the ledger keeps which run each key was answered
// with, so the checks can tell whether a key ever started two runs.
import { replaceChurnFile } from './churn-file';
import { retrying } from './api-retry';
import { CHURN_BYTES, type SoakJob } from './soak-jobs';
import type { ApiClient } from '../../../core/api-client';
import type { Prng } from './prng';

export interface ManualRunLedger {
  attempted: number;
  /** Idempotency-Key → the run id the API answered with. */
  accepted: Map<string, string>;
  acceptedAfterRetry: number;
  /** Keys never answered within the deadline, with the last error. */
  abandoned: Array<{ key: string; error: string }>;
}

/** How long one request keeps being retried: longer than any planned outage of both APIs. */
const TRIGGER_DEADLINE_MS = 5 * 60_000;

export class ManualRuns {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ledger: ManualRunLedger = { attempted: 0, accepted: new Map(), acceptedAfterRetry: 0, abandoned: [] };

  constructor(
    private readonly api: ApiClient,
    private readonly jobs: readonly SoakJob[],
    private readonly random: Prng,
    private readonly opts: { meanGapMs: number; keyPrefix: string; log: (line: string) => void },
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        // A random gap between a quarter and 1.75 times the mean: the load's own randomness.
        const gap = this.random.int(Math.round(this.opts.meanGapMs / 4), Math.round((this.opts.meanGapMs * 7) / 4));
        await new Promise((r) => setTimeout(r, gap));
        if (!this.running) break;
        const job = this.random.pick(this.jobs);
        const size = this.random.int(...CHURN_BYTES);
        this.fire(job, size);
      }
    })();
  }

  private fire(job: SoakJob, churnBytes: number): void {
    replaceChurnFile(job.source, churnBytes);
    const key = `${this.opts.keyPrefix}-${++this.ledger.attempted}`;
    let failures = 0;
    const request = retrying(`run of ${job.name} (${key})`, () => this.api.runJob(job.id, { idempotencyKey: key }), TRIGGER_DEADLINE_MS, () => failures++).then(
      (accepted) => {
        this.ledger.accepted.set(key, accepted.runId);
        if (failures > 0) this.ledger.acceptedAfterRetry++;
      },
      (err: unknown) => {
        this.ledger.abandoned.push({ key, error: (err as Error).message });
        this.opts.log(`manual run ${key} of ${job.name} abandoned: ${(err as Error).message}`);
      },
    );
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  /** No new runs from here; resolves once every request under way was answered or gave up. */
  async stop(): Promise<ManualRunLedger> {
    this.running = false;
    await this.loop;
    await Promise.all([...this.inFlight]);
    return this.ledger;
  }
}
