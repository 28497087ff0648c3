// The run log over HTTP: pages (GET /runs/{id}/log), a live tail over Server-Sent Events
// (GET /runs/{id}/log/stream), and the agents' way in (POST /agent/runs/{id}/log).
import { NotFoundError } from '../../contract/errors';
import { storedInstant } from '../../core/instant';
import { TERMINAL_STATUSES } from '../../contract/model';
import type { RunLogLine } from '../../contract/run-log';
import { handler } from '../context';

const TAIL_BATCH = 500;
const KEEPALIVE_MS = 15_000;

export const getRunLog = handler('getRunLog', async (ctx, { params, query }) => {
  const run = await ctx.catalog.runs.get(params.runId);
  const afterSeq = query.afterSeq;
  const items = await ctx.catalog.runLog.read(run.id, afterSeq, query.limit);
  return { status: 200, body: { items, nextAfterSeq: items.at(-1)?.seq ?? afterSeq, active: !TERMINAL_STATUSES.includes(run.status) } };
});

/** One SSE event; `data` is one JSON line (JSON never contains a raw newline). */
export function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Where a tail starts: after the larger of `afterSeq` and a resuming client's Last-Event-ID. */
export function tailStart(afterSeq: number, lastEventId: string | undefined): number {
  return Math.max(afterSeq, lastEventId === undefined ? 0 : Number(lastEventId));
}

function write(out: NodeJS.WritableStream, chunk: string, signal: AbortSignal): Promise<void> {
  if (out.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls the catalog for lines after the last one sent. The run's status is read before the
 * lines: a run's lines are all stored before it finishes, so once a terminal status has
 * been seen, the lines read after it are the last, and `end` closes the stream.
 */
export const streamRunLog = handler('streamRunLog', async (ctx, { params, query }) => {
  const runId = (await ctx.catalog.runs.get(params.runId)).id;
  let last = tailStart(query.afterSeq, params['Last-Event-ID']);
  const pollMs = ctx.logTailPollMs ?? 500;
  return {
    status: 200,
    body: null,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
    stream: async (out, signal) => {
      // Sends the headers now: a client waits for them before it reads any event.
      await write(out, `: run ${runId}\nretry: 2000\n\n`, signal);
      let quietSince = Date.now();
      while (!signal.aborted) {
        const run = await ctx.catalog.runs.get(runId);
        const lines: RunLogLine[] = await ctx.catalog.runLog.read(runId, last, TAIL_BATCH);
        for (const l of lines) {
          await write(out, sseEvent('line', l, l.seq), signal);
          last = l.seq;
        }
        if (lines.length === TAIL_BATCH) continue;
        if (TERMINAL_STATUSES.includes(run.status)) {
          await write(out, sseEvent('end', { runId, status: run.status, lastSeq: last }), signal);
          return;
        }
        if (lines.length > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= KEEPALIVE_MS) {
          await write(out, ': keep-alive\n\n', signal);
          quietSince = Date.now();
        }
        await sleep(pollMs, signal);
      }
    },
  };
});

export const appendAgentRunLog = handler('appendAgentRunLog', async (ctx, { params, body, identity }) => {
  const runId = params.runId;
  const run = await ctx.catalog.runs.get(runId);
  // An agent writes only into the runs it works on; any other run looks absent.
  if (identity.scope === 'agent' && run.agentName !== identity.agentName) throw new NotFoundError(`run ${runId} not found`);
  const lines = body.lines.map((l, i) => ({ ...l, at: storedInstant(l.at, `lines[${i}].at`) }));
  const stored = await ctx.runLog.write(run.id, lines);
  return { status: 200, body: { stored } };
});
