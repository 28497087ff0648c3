// The API's mTLS listener for agents: a server certificate signed by the internal CA (a
// fresh key each start), client certificates requested and verified against the same CA.
// Unverified clients are not cut off in the handshake: they get a problem+json 401 from
// the app, and bearer tokens still work here, so admins can use the same port.
import { createServer, type Server } from 'node:https';
import { answerClientErrors } from './client-error';
import type { Express } from 'express';
import { signServerCertificate, type CertificateAuthority } from '../core/pki';

/** The server certificate lives as long as the process might; a restart makes a new one. */
const SERVER_CERT_LIFETIME_MS = 365 * 86_400_000;

export async function startTlsListener(app: Express, ca: CertificateAuthority, opts: { port: number; host: string; hostnames: string[] }): Promise<Server> {
  const server = await signServerCertificate(ca, opts.hostnames, SERVER_CERT_LIFETIME_MS);
  const https = createServer({ key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, app);
  answerClientErrors(https);
  await new Promise<void>((resolve) => https.listen(opts.port, opts.host, resolve));
  https.keepAliveTimeout = 65_000;
  https.headersTimeout = 66_000;
  return https;
}
