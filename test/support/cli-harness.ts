// Runs the `backstop` command tree in-process against a fake API: global fetch answers from
// a table of routes and records every request, so a unit test sees exactly what a command
// line sends and prints, and which exit code it ends with.
import { run } from '../../cli/main';

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

/** An answer: a JSON body with 200, or [status, body]; a function decides per request. */
export type Answer = unknown | [number, unknown];
export type Routes = Record<string, Answer | ((r: Recorded) => Answer)>;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  calls: Recorded[];
}

export const API_URL = 'http://backstop.test:8420';

/**
 * `routes` keys are `METHOD /path?query` (the query as sent); a request with no route is a
 * 404 problem. `unreachable` makes every request fail as a refused connection would.
 */
export async function runCli(argv: string[], routes: Routes = {}, opts: { env?: Record<string, string>; tty?: boolean; unreachable?: boolean; now?: Date; files?: Record<string, string> } = {}): Promise<CliResult> {
  const calls: Recorded[] = [];
  const fetchMock = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const rec: Recorded = {
      method: init?.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])),
    };
    calls.push(rec);
    if (opts.unreachable) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const route = routes[`${rec.method} ${rec.path}`];
    const answer = typeof route === 'function' ? (route as (r: Recorded) => Answer)(rec) : route;
    const [status, body] = answer === undefined ? [404, { type: 'about:blank', title: 'Not Found', status: 404, detail: `no route ${rec.method} ${rec.path}` }] : Array.isArray(answer) && typeof answer[0] === 'number' && answer.length === 2 ? (answer as [number, unknown]) : [200, answer];
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' } });
  });
  let stdout = '';
  let stderr = '';
  try {
    const { code } = await run(argv, {
      env: { BACKSTOP_API_URL: API_URL, BACKSTOP_TOKEN: 'test-token', XDG_CONFIG_HOME: '/nonexistent-backstop-test', ...opts.env },
      stdout: { write: (s) => void (stdout += s), isTTY: Boolean(opts.tty), columns: 100 },
      stderr: (s) => void (stderr += s),
      now: () => opts.now ?? new Date('2026-12-03T12:00:00Z'),
      readFile: (p) => {
        const f = opts.files?.[p];
        if (f === undefined) throw new Error(`ENOENT: no such file ${p}`);
        return f;
      },
    });
    return { code, stdout, stderr, calls };
  } finally {
    fetchMock.mockRestore();
  }
}
