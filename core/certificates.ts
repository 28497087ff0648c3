// Reading and checking certificates with Node's own X509Certificate: what an agent needs on
// every start and heartbeat, without the ASN.1 library that makes keys, CSRs and
// certificates (core/pki.ts, loaded only when an agent enrolls or renews, and by the API).
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { InputError } from '../contract/errors';

export const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function fingerprintOf(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

/** The fingerprint of a DER certificate as a TLS socket hands it over. */
export function fingerprintOfDer(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The CN of a certificate (the agent name for agent certificates). */
export function commonNameOf(certPem: string): string | null {
  const m = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(certPem).subject);
  return m ? m[1]! : null;
}

/** True when `certPem` was signed by the CA and is within its validity at `now`. */
export function verifyIssuedBy(certPem: string, caPem: string, now = new Date()): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/** `AB:CD:…` or `abcd…` → lowercase hex without separators. */
export function normalizeFingerprint(text: string): string {
  return text.trim().toLowerCase().replace(/[:\s]/g, '');
}

/**
 * What an agent checks in the enrollment (or renewal) answer before storing anything: the
 * CA is the pinned one when a pin is given, the certificate is issued by that CA, names this
 * agent, is valid now and carries the agent's own public key.
 */
export function checkIssuedCertificate(a: { certPem: string; caPem: string; keyPem: string; agentName: string; caFingerprint?: string }, now = new Date()): void {
  if (a.caFingerprint && fingerprintOf(a.caPem) !== normalizeFingerprint(a.caFingerprint)) {
    throw new InputError('the server\'s CA certificate does not match the pinned fingerprint (--ca-fingerprint); nothing stored');
  }
  if (!verifyIssuedBy(a.certPem, a.caPem, now)) throw new InputError('the certificate returned is not issued by the returned CA or not valid now');
  if (commonNameOf(a.certPem) !== a.agentName) throw new InputError(`the certificate returned is not for agent ${JSON.stringify(a.agentName)}`);
  if (!new X509Certificate(a.certPem).checkPrivateKey(createPrivateKey(a.keyPem))) throw new InputError('the certificate returned is not for this agent\'s key');
}

/**
 * When an agent renews: once two thirds of its certificate's lifetime are gone, so a
 * certificate is replaced long before it lapses even if a renewal attempt or two fail.
 */
export function renewalDueAt(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
}

export function certificateValidity(certPem: string): { notBefore: Date; notAfter: Date } {
  const c = new X509Certificate(certPem);
  return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo) };
}

export function isAgentName(name: string): boolean {
  return AGENT_NAME.test(name);
}
