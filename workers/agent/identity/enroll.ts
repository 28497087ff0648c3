// Enrollment from the agent's side: a new key and CSR, the bootstrap token as bearer, and
// the answer (certificate, CA, mTLS URL) written into the agent's home.
import { hostname } from 'node:os';
import { checkIssuedCertificate, isAgentName } from '../../../core/certificates';
import { saveIdentity, type AgentIdentity } from './home';

export interface EnrollOptions {
  serverUrl: string;
  token: string;
  /** Defaults to BACKSTOP_HOSTNAME, then the machine's host name (see defaultAgentName). */
  name: string;
  replace?: boolean;
  home: string;
  /** sha256 of the CA certificate to accept (printed by `agent-tokens create`); unset: trust on first use. */
  caFingerprint?: string;
}

/** The machine's host name as an agent name: lowercased, its first label, invalid characters dropped. */
export function defaultAgentName(hostnameSetting: string | undefined, host = hostname()): string {
  const raw = (hostnameSetting || host).toLowerCase();
  const name = raw.replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63);
  if (!isAgentName(name)) throw new Error(`cannot make an agent name of ${JSON.stringify(raw)}; pass --name`);
  return name;
}

export async function enroll(opts: EnrollOptions): Promise<AgentIdentity> {
  // The key and CSR library loads only now: an agent at rest never needs it (its memory counts).
  const { createAgentCsr } = await import('../../../core/pki');
  const { keyPem, csrPem } = await createAgentCsr(opts.name);
  const url = `${opts.serverUrl.replace(/\/$/, '')}/v1/agent/enroll`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: opts.name, csr: csrPem, ...(opts.replace ? { replace: true } : {}) }),
  });
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {
      // not a problem document; show the raw text
    }
    throw new Error(`enrollment refused (${res.status}): ${detail}`);
  }
  const body = JSON.parse(text) as { agentName: string; certificate: string; caCertificate: string; mtlsUrl: string | null };
  checkIssuedCertificate({ certPem: body.certificate, caPem: body.caCertificate, keyPem, agentName: opts.name, caFingerprint: opts.caFingerprint });
  const identity: AgentIdentity = { agentName: body.agentName, serverUrl: opts.serverUrl, mtlsUrl: body.mtlsUrl, keyPem, certPem: body.certificate, caPem: body.caCertificate };
  saveIdentity(opts.home, identity);
  return identity;
}
