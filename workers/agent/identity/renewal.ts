// Renews the agent's certificate before it expires, with no operator: at two thirds of its
// lifetime a new key and CSR go to the renew endpoint over mTLS with the current
// certificate. A failed attempt is retried a minute later (sooner near expiry).
import { certificateValidity, checkIssuedCertificate, renewalDueAt } from '../../../core/certificates';
import type { Logger } from '../../../core/logger';
import { saveIdentity, type AgentIdentity } from './home';
import type { MtlsAgentHttp } from '../../../activities/agent/api-http';

const RETRY_MS = 60_000;

export async function renewCertificate(http: MtlsAgentHttp, home: string, current: AgentIdentity): Promise<AgentIdentity> {
  // The key and CSR library loads only now: an agent at rest never needs it (its memory counts).
  const { createAgentCsr } = await import('../../../core/pki');
  const { keyPem, csrPem } = await createAgentCsr(current.agentName);
  const res = await http.request('POST', '/v1/agent/certificate/renew', { csr: csrPem });
  if (!res.ok) throw new Error(`renewal refused (${res.status}): ${res.text}`);
  const body = JSON.parse(res.text) as { certificate: string; caCertificate: string };
  // The CA must stay the one enrolled with: a renewal never changes whom the agent trusts.
  checkIssuedCertificate({ certPem: body.certificate, caPem: current.caPem, keyPem, agentName: current.agentName });
  const renewed: AgentIdentity = { ...current, keyPem, certPem: body.certificate };
  saveIdentity(home, renewed);
  http.setCredentials({ keyPem, certPem: renewed.certPem, caPem: renewed.caPem });
  return renewed;
}

/** How long until the next attempt: the due time, or a retry bounded by what is left. */
export function nextRenewalDelay(certPem: string, now: Date, failed: boolean): number {
  const { notBefore, notAfter } = certificateValidity(certPem);
  if (failed) return Math.max(1_000, Math.min(RETRY_MS, (notAfter.getTime() - now.getTime()) / 10));
  return Math.max(0, renewalDueAt(notBefore, notAfter).getTime() - now.getTime());
}

/** Keeps renewing until stopped; returns the stop function. */
export function startRenewalLoop(http: MtlsAgentHttp, home: string, initial: AgentIdentity, logger: Logger): () => void {
  let current = initial;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (failed: boolean) => {
    if (stopped) return;
    timer = setTimeout(() => void attempt(), nextRenewalDelay(current.certPem, new Date(), failed));
    timer.unref();
  };
  const attempt = async () => {
    try {
      current = await renewCertificate(http, home, current);
      logger.info({ notAfter: certificateValidity(current.certPem).notAfter.toISOString() }, 'agent certificate renewed');
      schedule(false);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'agent certificate renewal failed; retrying');
      schedule(true);
    }
  };
  schedule(false);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
