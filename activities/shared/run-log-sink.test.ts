// The sink alone, with a recording transport: batching, numbering, redaction, and that a
// failing transport neither throws nor loses lines it can still keep.
import { RunLogSink, nextBatch, type RunLogTransport } from './run-log-sink';
import type { RunLogEntry } from '../../contract/run-log';
import { createLogger } from '../../core/logger';

const logger = createLogger('test', 'silent');

class Recorder implements RunLogTransport {
  batches: RunLogEntry[][] = [];
  failNext = 0;
  async send(_runId: string, entries: RunLogEntry[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('API down');
    }
    this.batches.push(entries);
  }
  get lines() {
    return this.batches.flat();
  }
}

function sink(t: RunLogTransport, extra: Partial<ConstructorParameters<typeof RunLogSink>[0]> = {}) {
  return new RunLogSink({ runId: 'r1', step: 'pre-script', source: '3', attempt: 2, transport: t, logger, flushEveryMs: 60_000, ...extra });
}

describe('RunLogSink', () => {
  it('numbers lines within the attempt and sends them on close', async () => {
    const t = new Recorder();
    const s = sink(t);
    s.line('stdout', 'one');
    s.line('stderr', 'two');
    await s.close();
    expect(t.lines.map((l) => [l.source, l.attempt, l.n, l.step, l.stream, l.line])).toEqual([
      ['3', 2, 0, 'pre-script', 'stdout', 'one'],
      ['3', 2, 1, 'pre-script', 'stderr', 'two'],
    ]);
    expect(Date.parse(t.lines[0]!.at)).not.toBeNaN();
  });

  it('redacts known secrets, also ones added later, and generic patterns', async () => {
    const t = new Recorder();
    const s = sink(t, { secrets: ['s3cr3t-key'] });
    s.line('stdout', 'key s3cr3t-key');
    s.addSecrets('pa55word');
    s.line('stdout', 'the pa55word is out; password=other');
    await s.close();
    expect(t.lines.map((l) => l.line)).toEqual(['key [redacted]', 'the [redacted] is out; password=[redacted]']);
  });

  it('sends in batches of at most 100 lines', async () => {
    const t = new Recorder();
    const s = sink(t);
    for (let i = 0; i < 250; i++) s.line('stdout', `l${i}`);
    await s.close();
    expect(t.batches.map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it('keeps lines through a failed flush and sends them with the next, never throwing', async () => {
    const t = new Recorder();
    t.failNext = 1;
    const s = sink(t);
    s.line('stdout', 'a');
    await expect(s.flush()).resolves.toBeUndefined();
    expect(t.lines).toEqual([]);
    s.line('stdout', 'b');
    await s.close();
    expect(t.lines.map((l) => [l.n, l.line])).toEqual([[0, 'a'], [1, 'b']]);
  });

  it('counts lines beyond its limit and says so in a last line', async () => {
    const t = new Recorder();
    const s = sink(t, { maxLines: 3 });
    for (let i = 0; i < 5; i++) s.line('stdout', `l${i}`);
    await s.close();
    expect(t.lines.map((l) => l.line)).toEqual(['l0', 'l1', 'l2', expect.stringMatching(/^\[backstop\] 2 lines of this step were not kept/)]);
  });

  it('bounds what it holds while the transport fails', async () => {
    const t = new Recorder();
    t.failNext = 100;
    const s = sink(t, { maxPending: 5 });
    for (let i = 0; i < 8; i++) s.line('stdout', `l${i}`);
    await s.close();
    expect(t.lines).toEqual([]);
  });

  it('flushes on its own clock', async () => {
    const t = new Recorder();
    const s = sink(t, { flushEveryMs: 20 });
    s.line('stdout', 'tick');
    await new Promise((r) => setTimeout(r, 200));
    expect(t.lines.map((l) => l.line)).toEqual(['tick']);
    await s.close();
  });
});

describe('nextBatch', () => {
  const entry = (line: string, n: number): RunLogEntry => ({ source: '1', attempt: 1, n, at: '2026-11-24T00:00:00Z', step: 'engine', stream: 'stdout', line });

  it('cuts by bytes before the count limit for long multi-byte lines', () => {
    const long = 'é'.repeat(2_000); // 4,000 bytes
    const batch = nextBatch(Array.from({ length: 100 }, (_, i) => entry(long, i)));
    expect(batch.length).toBeGreaterThan(1);
    expect(batch.length).toBeLessThan(100);
    expect(Buffer.byteLength(JSON.stringify({ lines: batch }))).toBeLessThan(256 * 1024);
  });

  it('always takes at least one line', () => {
    expect(nextBatch([entry('x'.repeat(200_000), 0)])).toHaveLength(1);
  });
});
