import type { ApiRun, ApiRunLogLine } from '../core/api-client';
import { watchRun, type Terminal } from './run-watch';

const progress = (bytesDone: number) => ({ percent: (bytesDone / 1000) * 100, filesDone: bytesDone / 10, filesTotal: 100, bytesDone, bytesTotal: 1000, currentFile: null, secondsElapsed: 10 });
const state = (status: ApiRun['status'], step: string | null, bytes: number | null) =>
  ({ id: 'r-1-aaaaaaaa', kind: 'backup', status, startedAt: '2026-12-03T12:00:00Z', live: step ? { step, stepStartedAt: '2026-12-03T12:00:00Z', stepsDone: [], progress: bytes === null ? null : progress(bytes) } : null, progress: null }) as unknown as ApiRun;
const line = (seq: number, text: string): ApiRunLogLine => ({ seq, at: `2026-12-03T12:00:0${seq}Z`, step: 'engine', stream: 'stdout', line: text, attempt: 1 });

/** A run that goes through `states`, one per poll, with log `lines` appearing at given polls. */
function fakeApi(states: ApiRun[], lines: Record<number, ApiRunLogLine[]>) {
  let poll = -1;
  return {
    getRun: async () => states[Math.min(++poll, states.length - 1)]!,
    runLog: async (_id: string, o: { afterSeq?: number } = {}) => {
      const items = (lines[poll] ?? []).filter((l) => l.seq > (o.afterSeq ?? 0));
      return { items, nextAfterSeq: items.at(-1)?.seq ?? o.afterSeq ?? 0, active: true };
    },
  };
}

function terminal(isTTY: boolean): Terminal & { text: string } {
  const t = { text: '', isTTY, columns: 120, write: (s: string) => void (t.text += s) };
  return t;
}

const states = [state('queued', null, null), state('running', 'engine', 300), state('running', 'engine', 800), state('succeeded', null, null)];
const lines = { 1: [line(1, 'scan finished')], 2: [line(2, 'uploading')] };
const now = () => new Date('2026-12-03T12:00:20Z');

test('on a terminal: log lines scroll above one status line that is redrawn in place, and erased at the end', async () => {
  const t = terminal(true);
  const run = await watchRun(fakeApi(states, lines), 'r-1', t, { sleep: async () => {}, now });
  expect(run.status).toBe('succeeded');
  expect(t.text).toBe(
    [
      'backup queued',
      '\r\x1b[2K2026-12-03T12:00:01Z engine   scan finished\n',
      '[#######-----------------]  30%  300 B / 1000 B  30/100 files  30 B/s  ETA 23s  engine 20s',
      '\r\x1b[2K2026-12-03T12:00:02Z engine   uploading\n',
      '[###################-----]  80%  800 B / 1000 B  80/100 files  80 B/s  ETA 3s  engine 20s',
      '\r\x1b[2K',
    ].join(''),
  );
});

test('in a pipe: plain lines, only when something changed, no control characters', async () => {
  const t = terminal(false);
  await watchRun(fakeApi([...states.slice(0, 2), states[1]!, ...states.slice(2)], lines), 'r-1', t, { sleep: async () => {}, now });
  expect(t.text).not.toContain('\x1b');
  expect(t.text).not.toContain('\r');
  expect(t.text.split('\n').filter(Boolean)).toEqual([
    '2026-12-03T12:00:20.000Z backup r-1-aaaa: queued',
    '2026-12-03T12:00:01Z engine   scan finished',
    '2026-12-03T12:00:20.000Z backup r-1-aaaa: engine  30%  300 B / 1000 B  30/100 files  30 B/s  ETA 23s',
    '2026-12-03T12:00:02Z engine   uploading',
    '2026-12-03T12:00:20.000Z backup r-1-aaaa: engine  80%  800 B / 1000 B  80/100 files  80 B/s  ETA 3s',
  ]);
});

test('a restore waiting for approval says how to approve it, once', async () => {
  const t = terminal(false);
  const waiting = { ...state('awaiting-approval', null, null), kind: 'restore' } as ApiRun;
  await watchRun(fakeApi([waiting, waiting, state('succeeded', null, null)], {}), 'r-1', t, { sleep: async () => {}, now });
  expect(t.text.match(/waiting for approval: backstop runs approve r-1-aaaaaaaa/g)).toHaveLength(1);
});

test('Ctrl-C (the abort signal) while following: the pause is cut short, the status line erased, and the watching stops saying how to go on', async () => {
  const interrupt = new AbortController();
  const t = terminal(true);
  // The person presses Ctrl-C while the bar is on screen and the watcher waits for its next poll.
  const write = t.write;
  t.write = (s: string) => {
    write(s);
    if (s.startsWith('[')) interrupt.abort();
  };
  const watching = watchRun(fakeApi([state('running', 'engine', 300)], {}), 'r-1', t, { now, signal: interrupt.signal, pollMs: 3_600_000 });
  await expect(watching).rejects.toThrow('stopped following run r-1; it goes on: backstop runs watch r-1 follows it again, backstop runs cancel r-1 stops it');
  expect(t.text).toBe('[#######-----------------]  30%  300 B / 1000 B  30/100 files  30 B/s  ETA 23s  engine 20s\r\x1b[2K');
});
