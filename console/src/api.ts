// The console's one way to the API: openapi-fetch typed by the generated spec types, on the
// same origin, authenticated by the HttpOnly session cookie. The CSRF token lives only in
// this module's memory (never in storage): a reload asks GET /v1/session for it again.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../contract/generated/api-schema';
import { ProblemError, type Problem } from './problem';

export type Schemas = components['schemas'];
export { ProblemError, type Problem } from './problem';

let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Fired when the API says the session is gone, so the app shows the sign-in page. */
export const SIGNED_OUT_EVENT = 'backstop:signed-out';

const SAFE = new Set(['GET', 'HEAD']);
const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/v1/session')) window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(session);

function asProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === 'object' && 'title' in error) return error as Problem;
  return { type: 'HttpError', title: `HTTP ${response.status}`, status: response.status, detail: typeof error === 'string' ? error : response.statusText };
}

/** The data of a successful answer; a ProblemError otherwise. */
export async function ok<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await pending;
  if (!r.response.ok) throw new ProblemError(asProblem(r.error, r.response));
  return r.data as T;
}

/** A fresh Idempotency-Key: a double click on "Run" starts one run, not two. */
export const idempotencyKey = (): string => crypto.randomUUID();
