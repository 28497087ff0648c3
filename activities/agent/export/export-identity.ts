// The certificate an agent shows the server worker when it serves an export.
//
// An enrolled agent has one in its home (renewals replace it: read it each time). An agent
// that proves itself with an agent token (the embedded stack) asks the API for a short-lived
// one over that token: a new key in memory, a certificate naming the agent, renewed when it
// nears its end.
import { createAgentCsr } from '../../../core/pki';
import { certificateValidity } from '../../../core/certificates';
import type { AgentHttp } from '../api-http';
import type { TlsIdentity } from './export-server';

export interface ExportIdentitySource {
  current(): Promise<TlsIdentity>;
}

export class HomeExportIdentity implements ExportIdentitySource {
  constructor(private readonly load: () => TlsIdentity | null) {}

  async current(): Promise<TlsIdentity> {
    const id = this.load();
    if (!id) throw new Error('the agent has no certificate in its home');
    return id;
  }
}

/** Renewed once less than this share of its lifetime is left. */
const RENEW_AT_REMAINING = 0.5;

export class IssuedExportIdentity implements ExportIdentitySource {
  private cached: TlsIdentity | null = null;
  private pending: Promise<TlsIdentity> | null = null;

  constructor(
    private readonly agentName: string,
    private readonly http: AgentHttp,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async current(): Promise<TlsIdentity> {
    if (this.cached && !this.due(this.cached)) return this.cached;
    this.pending ??= this.issue().finally(() => (this.pending = null));
    return this.pending;
  }

  private due(id: TlsIdentity): boolean {
    const { notBefore, notAfter } = certificateValidity(id.certPem);
    const left = notAfter.getTime() - this.now().getTime();
    return left < (notAfter.getTime() - notBefore.getTime()) * RENEW_AT_REMAINING;
  }

  private async issue(): Promise<TlsIdentity> {
    const { keyPem, csrPem } = await createAgentCsr(this.agentName);
    const res = await this.http.request('POST', '/v1/agent/export-certificate', { csr: csrPem });
    if (!res.ok) throw new Error(`the API issued no export certificate: ${res.status} ${res.text}`);
    const body = JSON.parse(res.text) as { certificate: string; caCertificate: string };
    this.cached = { keyPem, certPem: body.certificate, caPem: body.caCertificate };
    return this.cached;
  }
}
