import { X509Certificate, createPrivateKey } from 'node:crypto';
import {
  certificateValidity,
  checkCsr,
  checkIssuedCertificate,
  commonNameOf,
  createAgentCsr,
  createCertificateAuthority,
  fingerprintOf,
  normalizeFingerprint,
  renewalDueAt,
  signAgentCertificate,
  signServerCertificate,
  verifyIssuedBy,
} from './pki';

jest.setTimeout(30_000);

describe('internal PKI', () => {
  it('signs an agent certificate bound to the agent name, for the CSR key, within the lifetime', async () => {
    const ca = await createCertificateAuthority();
    const { keyPem, csrPem } = await createAgentCsr('web1');
    const now = new Date('2026-11-24T12:00:00Z');
    const issued = await signAgentCertificate(ca, csrPem, 'web1', 3_600_000, now);
    expect(commonNameOf(issued.certPem)).toBe('web1');
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subjectAltName).toBe('DNS:web1');
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(verifyIssuedBy(issued.certPem, ca.certPem, now)).toBe(true);
    expect(verifyIssuedBy(issued.certPem, ca.certPem, new Date(now.getTime() + 2 * 3_600_000))).toBe(false);
    expect(issued.notAfter.getTime() - now.getTime()).toBeLessThanOrEqual(3_600_000);
    expect(issued.fingerprint).toBe(fingerprintOf(issued.certPem));
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
  });

  it('refuses a CSR for another name, a garbage CSR and a tampered CSR', async () => {
    const ca = await createCertificateAuthority();
    const { csrPem } = await createAgentCsr('web1');
    await expect(signAgentCertificate(ca, csrPem, 'web2', 60_000)).rejects.toThrow(/is for "web1", not for agent "web2"/);
    await expect(checkCsr('not a csr')).rejects.toThrow(/not a PEM PKCS#10/);
    const body = csrPem.split('\n').slice(1, -2).join('');
    const der = Buffer.from(body, 'base64');
    der[der.length - 5] = der[der.length - 5]! ^ 0xff; // flip signature bits
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(checkCsr(tampered)).rejects.toThrow(/invalid signature|not a PEM/);
  });

  it('does not trust a certificate of another CA', async () => {
    const ca = await createCertificateAuthority();
    const other = await createCertificateAuthority();
    const { csrPem } = await createAgentCsr('web1');
    const issued = await signAgentCertificate(other, csrPem, 'web1', 60_000);
    expect(verifyIssuedBy(issued.certPem, ca.certPem)).toBe(false);
  });

  it('makes a server certificate with DNS and IP names', async () => {
    const ca = await createCertificateAuthority();
    const server = await signServerCertificate(ca, ['localhost', '127.0.0.1'], 60_000);
    expect(new X509Certificate(server.certPem).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(verifyIssuedBy(server.certPem, ca.certPem)).toBe(true);
  });

  it('renews at two thirds of the lifetime', () => {
    const nb = new Date('2026-01-01T00:00:00Z');
    const na = new Date('2026-01-31T00:00:00Z');
    expect(renewalDueAt(nb, na).toISOString()).toBe('2026-01-21T00:00:00.000Z');
  });

  it('reads validity back', async () => {
    const ca = await createCertificateAuthority();
    const v = certificateValidity(ca.certPem);
    expect(v.notAfter.getTime()).toBeGreaterThan(v.notBefore.getTime());
  });

  it('checks an enrollment answer: pinned CA, issuer, name and own key', async () => {
    const ca = await createCertificateAuthority();
    const { keyPem, csrPem } = await createAgentCsr('web1');
    const issued = await signAgentCertificate(ca, csrPem, 'web1', 3_600_000);
    const pin = fingerprintOf(ca.certPem).replace(/(..)(?!$)/g, '$1:').toUpperCase();
    expect(normalizeFingerprint(pin)).toBe(fingerprintOf(ca.certPem));
    expect(() => checkIssuedCertificate({ certPem: issued.certPem, caPem: ca.certPem, keyPem, agentName: 'web1', caFingerprint: pin })).not.toThrow();
    const other = await createCertificateAuthority();
    expect(() => checkIssuedCertificate({ certPem: issued.certPem, caPem: other.certPem, keyPem, agentName: 'web1', caFingerprint: pin })).toThrow(/pinned fingerprint/);
    expect(() => checkIssuedCertificate({ certPem: issued.certPem, caPem: other.certPem, keyPem, agentName: 'web1' })).toThrow(/not issued by the returned CA/);
    expect(() => checkIssuedCertificate({ certPem: issued.certPem, caPem: ca.certPem, keyPem, agentName: 'web2' })).toThrow(/not for agent "web2"/);
    const { keyPem: otherKey } = await createAgentCsr('web1');
    expect(() => checkIssuedCertificate({ certPem: issued.certPem, caPem: ca.certPem, keyPem: otherKey, agentName: 'web1' })).toThrow(/not for this agent's key/);
  });
});
