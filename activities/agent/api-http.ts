// How an agent talks to the API: with its client certificate (mTLS, enrolled agents) or
// with a bearer agent token (the embedded `npm start` stack and older set-ups).
import { Agent as HttpsAgent, request } from 'node:https';

export interface AgentHttpResponse {
  status: number;
  ok: boolean;
  text: string;
}

export interface AgentHttp {
  /** `path` starts with /v1/; `body` is sent as JSON. Network errors reject. */
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<AgentHttpResponse>;
  /** For messages: which API and how the agent proves itself. */
  readonly describe: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class BearerAgentHttp implements AgentHttp {
  readonly describe: string;
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {
    this.describe = `${apiUrl} (agent token)`;
  }

  async request(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<AgentHttpResponse> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, ok: res.ok, text: await res.text() };
  }
}

export interface TlsCredentials {
  keyPem: string;
  certPem: string;
  caPem: string;
}

/**
 * mTLS with the agent's key and certificate; the server must present a certificate of the
 * internal CA (nothing else is trusted). `setCredentials` swaps in a renewed certificate:
 * requests after it use the new one, requests in flight finish with the old.
 */
export class MtlsAgentHttp implements AgentHttp {
  readonly describe: string;
  private agent: HttpsAgent;

  constructor(
    private readonly apiUrl: string,
    credentials: TlsCredentials,
  ) {
    this.describe = `${apiUrl} (mTLS)`;
    this.agent = MtlsAgentHttp.makeAgent(credentials);
  }

  private static makeAgent(c: TlsCredentials): HttpsAgent {
    return new HttpsAgent({ key: c.keyPem, cert: c.certPem, ca: c.caPem, keepAlive: true, rejectUnauthorized: true });
  }

  setCredentials(c: TlsCredentials): void {
    const old = this.agent;
    this.agent = MtlsAgentHttp.makeAgent(c);
    old.destroy();
  }

  request(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<AgentHttpResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.apiUrl),
        {
          method,
          agent: this.agent,
          headers: payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {},
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.apiUrl} within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
