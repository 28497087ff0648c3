import { createAgentCsr, createCertificateAuthority, signAgentCertificate } from '../../../core/pki';
import { nextRenewalDelay } from './renewal';

jest.setTimeout(30_000);

describe('nextRenewalDelay', () => {
  it('waits until two thirds of the lifetime, retries within a tenth of what is left', async () => {
    const ca = await createCertificateAuthority();
    const { csrPem } = await createAgentCsr('web1');
    const now = new Date('2026-11-24T12:00:00Z');
    const issued = await signAgentCertificate(ca, csrPem, 'web1', 3 * 3_600_000, now);
    // notBefore is a minute early (clock slack): due at notBefore + 2/3 of the lifetime.
    const lifetime = issued.notAfter.getTime() - issued.notBefore.getTime();
    const due = issued.notBefore.getTime() + (lifetime * 2) / 3;
    expect(nextRenewalDelay(issued.certPem, now, false)).toBe(due - now.getTime());
    expect(nextRenewalDelay(issued.certPem, new Date(due + 1000), false)).toBe(0);
    expect(nextRenewalDelay(issued.certPem, now, true)).toBe(60_000);
    const late = new Date(issued.notAfter.getTime() - 100_000);
    expect(nextRenewalDelay(issued.certPem, late, true)).toBe(10_000);
  });
});
