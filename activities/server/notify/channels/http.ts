// One HTTP POST for every kind that talks HTTP, and the one rule for what its answer means:
// 2xx delivered; 408, 429 and 5xx (and no answer at all) a temporary failure, retried as a
// DeliveryError; any other status a refusal no retry fixes (InputError: a revoked webhook, a
// wrong token, a payload the service rejects). Redirects are not followed: a POST turned into a
// GET loses its body, and a secret header must not follow the request to another host.
import { BackstopError, ErrorType } from '../../../../contract/errors';
import type { DeliveryAnswer } from '../../../../contract/notifications';
import { redactUrl, scrub } from './redact';

export const USER_AGENT = 'Backstop';
/** Which event a request carries, for receivers that route on it (webhook, e-mail). */
export const EVENT_HEADER = 'X-Backstop-Event';

/** How much of a receiver's body is read for the answer's detail (the rest is dropped). */
const BODY_READ_LIMIT = 4_096;

export type StatusClass = 'delivered' | 'retry' | 'refused';

export function classifyHttpStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'refused';
}

export interface HttpPost {
  /** What the messages call the receiver ("slack", "webhook"). */
  kind: string;
  url: URL;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Secret fragments to scrub from every detail and message (redact.ts secretFragments). */
  secrets: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Reads at most BODY_READ_LIMIT bytes of a response body as text, then stops the stream. */
async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < BODY_READ_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, BODY_READ_LIMIT).toString('utf8');
}

// Node's (OpenSSL's) codes for a certificate that does not verify. A retry meets the same
// certificate: the channel's URL, host or CA is what needs fixing, so these are InputErrors.
const CERTIFICATE_ERROR_CODES = [
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];

/** True when `err` (or its cause: undici and nodemailer wrap the socket's error) is a certificate that did not verify. */
export function isCertificateError(err: unknown): boolean {
  const e = err as { code?: string; originalCode?: string; cause?: { code?: string } } | null;
  return [e?.code, e?.originalCode, e?.cause?.code].some((c) => c !== undefined && CERTIFICATE_ERROR_CODES.includes(c));
}

/** The network error's own words (undici hides them in `cause`): "connect ECONNREFUSED 127.0.0.1:9". */
function networkReason(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  return e.cause?.message ?? e.cause?.code ?? e.message ?? String(err);
}

/** POSTs once and answers per the rule above; every message shows the URL as scheme://host/… only. */
export async function postHttp(req: HttpPost): Promise<DeliveryAnswer> {
  const where = `${req.kind} ${redactUrl(req.url)}`;
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { 'User-Agent': USER_AGENT, ...req.headers },
      body: req.body,
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    // A cancelled activity: hand back the caller's own reason (Temporal's CancelledFailure).
    if (req.signal?.aborted) throw req.signal.reason ?? err;
    if (timeout.aborted) throw new BackstopError(ErrorType.delivery, `${where}: no answer within ${req.timeoutMs} ms`);
    const type = isCertificateError(err) ? ErrorType.input : ErrorType.delivery;
    throw new BackstopError(type, `${where}: ${scrub(networkReason(err), req.secrets)}`);
  }
  let excerpt: string;
  try {
    excerpt = scrub(await readExcerpt(res), req.secrets, 200);
  } catch {
    // The status is what counts; a body cut short (or a timeout while reading it) changes nothing.
    excerpt = '';
  }
  const cls = classifyHttpStatus(res.status);
  if (cls === 'delivered') return { status: res.status, detail: excerpt === '' ? `${res.status} ${res.statusText}`.trim() : excerpt };
  const said = excerpt === '' ? '' : `: ${excerpt}`;
  if (res.status >= 300 && res.status < 400) {
    let target = '';
    try {
      const location = res.headers.get('location');
      if (location) target = ` to ${redactUrl(new URL(location, req.url))}`;
    } catch {
      target = '';
    }
    throw new BackstopError(ErrorType.input, `${where} answered ${res.status} (a redirect${target}); Backstop does not follow redirects: configure the final URL`, { status: res.status });
  }
  throw new BackstopError(cls === 'retry' ? ErrorType.delivery : ErrorType.input, `${where} answered ${res.status}${said}`, { status: res.status });
}
