// `--wait`: follows a run until it ends, polling GET /v1/runs/{id} (its live step and
// progress) and the run log's new lines at one cadence. On a terminal the log scrolls and
// one status line (bar, figures, step) is redrawn under it; elsewhere (a pipe, CI, a log
// file) plain lines are written only when something changed.
import type { ApiClient, ApiRun, ApiRunLogLine } from '../core/api-client';
import { plainUpdate, renderStatusLine } from './progress';
import { StoppedWatchingError } from './exit-codes';

export interface Terminal {
  write(text: string): void;
  isTTY: boolean;
  columns: number;
}

const TERMINAL_STATUSES = new Set(['succeeded', 'warning', 'failed', 'cancelled']);

/** One run-log line as `backstop runs log` prints it: time, step (#attempt), stream mark, text. */
export function formatLogLine(l: ApiRunLogLine): string {
  return `${l.at} ${l.step}${l.attempt > 1 ? `#${l.attempt}` : ''} ${l.stream === 'stderr' ? '!' : ' '} ${l.line}`;
}

export interface WatchOptions {
  pollMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Aborted on Ctrl-C: the status line is erased and StoppedWatchingError thrown (the run goes on). */
  signal?: AbortSignal;
}

/** A pause that ends early when `signal` aborts. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function watchRun(api: Pick<ApiClient, 'getRun' | 'runLog'>, runId: string, term: Terminal, opts: WatchOptions = {}): Promise<ApiRun> {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => abortableSleep(ms, opts.signal));
  const pollMs = opts.pollMs ?? 500;
  let afterSeq = 0;
  let statusShown = false;
  let plainLast: { step?: string; decile?: number } = {};
  let approvalAnnounced = false;
  // \r then "erase line": the status line is rewritten in place, never scrolled.
  const clearStatus = () => {
    if (statusShown) term.write('\r\x1b[2K');
    statusShown = false;
  };
  const stopIfInterrupted = () => {
    if (!opts.signal?.aborted) return;
    // The terminal is left clean: no half-drawn bar before the shell's prompt.
    clearStatus();
    throw new StoppedWatchingError(runId);
  };
  for (;;) {
    stopIfInterrupted();
    const run = await api.getRun(runId);
    // Lines first, so the status drawn after them stays the last line on screen.
    for (;;) {
      const page = await api.runLog(runId, { afterSeq, limit: 500 });
      if (page.items.length > 0) {
        clearStatus();
        for (const l of page.items) term.write(`${formatLogLine(l)}\n`);
      }
      afterSeq = page.nextAfterSeq;
      if (page.items.length < 500) break;
    }
    if (run.status === 'awaiting-approval' && !approvalAnnounced) {
      approvalAnnounced = true;
      clearStatus();
      term.write(`waiting for approval: backstop runs approve ${run.id}\n`);
    }
    if (TERMINAL_STATUSES.has(run.status)) {
      clearStatus();
      return run;
    }
    if (term.isTTY) {
      term.write(`${statusShown ? '\r\x1b[2K' : ''}${renderStatusLine(run, now(), term.columns)}`);
      statusShown = true;
    } else {
      const u = plainUpdate(run, now(), plainLast);
      plainLast = u.last;
      if (u.line) term.write(`${u.line}\n`);
    }
    await sleep(pollMs);
    stopIfInterrupted();
  }
}
