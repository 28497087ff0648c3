import { createPrivateKey, X509Certificate } from 'node:crypto';
import { checkCsr, createCertificateAuthority, signAgentCertificate, type CertificateAuthority } from '../../../core/pki';
import type { AgentHttp, AgentHttpResponse } from '../api-http';
import { HomeExportIdentity, IssuedExportIdentity } from './export-identity';

const HOUR = 3_600_000;

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** The API's side: signs the CSR with a real CA, for `lifetimeMs` from the clock's time. */
class FakeApi implements AgentHttp {
  readonly describe = 'fake API (agent token)';
  readonly calls: Call[] = [];
  /** When set, the next answers are this instead of a certificate. */
  failWith: AgentHttpResponse | null = null;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly clock: () => Date,
    private readonly lifetimeMs = HOUR,
  ) {}

  /** Holds every answer until `release()`. */
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.open();
  }

  async request(method: string, path: string, body?: unknown): Promise<AgentHttpResponse> {
    this.calls.push({ method, path, body });
    await this.gate;
    if (this.failWith) return this.failWith;
    const { csr } = body as { csr: string };
    const { commonName } = await checkCsr(csr);
    const issued = await signAgentCertificate(this.ca, csr, commonName ?? '', this.lifetimeMs, this.clock());
    return { status: 200, ok: true, text: JSON.stringify({ certificate: issued.certPem, caCertificate: this.ca.certPem }) };
  }
}

let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await createCertificateAuthority('test CA');
});

// Certificates carry whole seconds.
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);

function setUp() {
  let now = T0;
  const clock = () => now;
  const api = new FakeApi(ca, clock);
  const identity = new IssuedExportIdentity('web1', api, clock);
  return { api, identity, at: (ms: number) => (now = new Date(T0.getTime() + ms)) };
}

describe('IssuedExportIdentity', () => {
  it('asks the API for a certificate naming the agent, with a new key, and returns it with the CA', async () => {
    const { api, identity } = setUp();
    const id = await identity.current();
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]).toMatchObject({ method: 'POST', path: '/v1/agent/export-certificate' });
    const { commonName } = await checkCsr((api.calls[0]!.body as { csr: string }).csr);
    expect(commonName).toBe('web1');
    expect(id.caPem).toBe(ca.certPem);
    const cert = new X509Certificate(id.certPem);
    expect(cert.subject).toContain('CN=web1');
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    // The key is the one the CSR was made with.
    expect(cert.checkPrivateKey(createPrivateKey(id.keyPem))).toBe(true);
  });

  it('reuses the certificate while more than half its lifetime is left', async () => {
    const { api, identity, at } = setUp();
    const first = await identity.current();
    at(10 * 60_000);
    expect(await identity.current()).toBe(first);
    // Lifetime: one hour and the minute of slack before issuance; half of it is 30.5 min.
    at(29 * 60_000);
    expect(await identity.current()).toBe(first);
    expect(api.calls).toHaveLength(1);
  });

  it('issues a new one once less than half its lifetime is left', async () => {
    const { api, identity, at } = setUp();
    const first = await identity.current();
    at(30 * 60_000);
    const second = await identity.current();
    expect(api.calls).toHaveLength(2);
    expect(second.certPem).not.toBe(first.certPem);
    expect(second.keyPem).not.toBe(first.keyPem);
    // And the renewed one is reused in its turn.
    at(31 * 60_000);
    expect(await identity.current()).toBe(second);
    expect(api.calls).toHaveLength(2);
  });

  it('issues a new one when the cached certificate has expired', async () => {
    const { api, identity, at } = setUp();
    await identity.current();
    at(2 * HOUR);
    await identity.current();
    expect(api.calls).toHaveLength(2);
  });

  it('callers arriving while a request is out share it', async () => {
    const { api, identity } = setUp();
    api.hold();
    const a = identity.current();
    const b = identity.current();
    const c = identity.current();
    // createAgentCsr is asynchronous: wait until the one request is out before releasing it.
    while (api.calls.length === 0) await new Promise((r) => setImmediate(r));
    api.release();
    const [x, y, z] = await Promise.all([a, b, c]);
    expect(api.calls).toHaveLength(1);
    expect(y).toBe(x);
    expect(z).toBe(x);
  });

  it('rejects with the status and text of an API error, and asks again on the next call', async () => {
    const { api, identity } = setUp();
    api.failWith = { status: 403, ok: false, text: 'agent tokens may not have export certificates' };
    await expect(identity.current()).rejects.toThrow(/403 agent tokens may not have export certificates/);
    api.failWith = null;
    const id = await identity.current();
    expect(id.certPem).toContain('BEGIN CERTIFICATE');
    expect(api.calls).toHaveLength(2);
  });

  it('concurrent callers all see an API error', async () => {
    const { api, identity } = setUp();
    api.failWith = { status: 500, ok: false, text: 'boom' };
    const results = await Promise.allSettled([identity.current(), identity.current()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(api.calls).toHaveLength(1);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/500 boom/);
  });
});

describe('HomeExportIdentity', () => {
  it('reads the home certificate on every call (renewals replace it)', async () => {
    let n = 0;
    const identity = new HomeExportIdentity(() => ({ keyPem: `k${++n}`, certPem: 'c', caPem: 'ca' }));
    expect((await identity.current()).keyPem).toBe('k1');
    expect((await identity.current()).keyPem).toBe('k2');
  });
  it('rejects when the home has none', async () => {
    await expect(new HomeExportIdentity(() => null).current()).rejects.toThrow(/no certificate/);
  });
});
