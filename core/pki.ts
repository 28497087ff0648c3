// The internal PKI: key pairs, CSRs, the CA and the certificates it signs. ECDSA P-256
// everywhere (small keys, fast to make on a slow agent). @peculiar/x509 builds the ASN.1;
// Node's own X509Certificate reads certificates back for checks.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { InputError } from '../contract/errors';
import { AGENT_NAME, fingerprintOf } from './certificates';

// What agents need without the ASN.1 library (reading certificates, checks): core/certificates.ts.
export * from './certificates';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  serial: string;
  /** sha256 of the DER, lowercase hex (what TLS peers are looked up by). */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keysFromPem(privateKeyPem: string): Promise<CryptoKeyPair> {
  const der = x509.PemConverter.decodeFirst(privateKeyPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  // The public half: re-derive it through a JWK without the private component.
  const jwk = await webcrypto.subtle.exportKey('jwk', privateKey);
  const publicKey = await webcrypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, ALG, true, ['verify']);
  return { privateKey, publicKey } as CryptoKeyPair;
}

async function privatePem(keys: CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

/** A random positive serial of 16 bytes, hex (RFC 5280: at most 20 octets, positive). */
function newSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}



export async function createCertificateAuthority(commonName = 'Backstop internal CA', lifetimeDays = 3650): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + lifetimeDays * 86_400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privatePem(keys) };
}

/** A new agent key and a CSR for `agentName` (CN and DNS SAN). */
export async function createAgentCsr(agentName: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${agentName}`,
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: agentName }])],
  });
  return { keyPem: await privatePem(keys), csrPem: csr.toString('pem') };
}

/**
 * Reads a CSR and checks it before anything is signed: well-formed, self-signature valid,
 * an ECDSA/RSA public key. Returns the CN it asks for (the caller decides whether it may).
 */
export async function checkCsr(csrPem: string): Promise<{ commonName: string | null; csr: x509.Pkcs10CertificateRequest }> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new InputError('the certificate signing request is not a PEM PKCS#10 request');
  }
  if (!(await csr.verify().catch(() => false))) throw new InputError('the certificate signing request has an invalid signature');
  const cn = csr.subjectName.getField('CN')[0] ?? null;
  return { commonName: cn, csr };
}


/**
 * Signs a client certificate for `agentName` over the CSR's public key. The name comes from
 * the server (the bootstrap token's decision), never from the CSR: a CSR asking for another
 * name is refused rather than silently renamed.
 */
export async function signAgentCertificate(ca: CertificateAuthority, csrPem: string, agentName: string, lifetimeMs: number, now = new Date()): Promise<IssuedCertificate> {
  if (!AGENT_NAME.test(agentName)) throw new InputError(`invalid agent name ${JSON.stringify(agentName)}`);
  const { commonName, csr } = await checkCsr(csrPem);
  if (commonName !== agentName) throw new InputError(`the certificate signing request is for ${JSON.stringify(commonName)}, not for agent ${JSON.stringify(agentName)}`);
  return sign(ca, csr.publicKey, agentName, lifetimeMs, now, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], true),
    new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: agentName }]),
  ]);
}

/** The API's TLS certificate with a fresh key; SANs are the names and addresses agents dial. */
export async function signServerCertificate(ca: CertificateAuthority, hostnames: string[], lifetimeMs: number): Promise<IssuedCertificate & { keyPem: string }> {
  const keys = await generateKeys();
  const sans = hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const issued = await sign(ca, keys.publicKey, hostnames[0] ?? 'backstop-api', lifetimeMs, new Date(), [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], true),
    new x509.SubjectAlternativeNameExtension(sans),
  ]);
  return { ...issued, keyPem: await privatePem(keys) };
}

async function sign(
  ca: CertificateAuthority,
  publicKey: x509.PublicKey | CryptoKey,
  commonName: string,
  lifetimeMs: number,
  now: Date,
  extensions: x509.Extension[],
): Promise<IssuedCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeys = await keysFromPem(ca.keyPem);
  const serial = newSerial();
  // Slack for clocks slightly behind the API's: a minute, less for very short lifetimes
  // (tests), so renewal at two thirds of the span still lands after issuance.
  const notBefore = new Date(now.getTime() - Math.min(60_000, lifetimeMs / 10));
  const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${commonName}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ...extensions,
    ],
  });
  const certPem = cert.toString('pem');
  return { certPem, serial, fingerprint: fingerprintOf(certPem), notBefore: cert.notBefore, notAfter: cert.notAfter };
}






