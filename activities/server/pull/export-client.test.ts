// The server worker's end of an export channel, over real TLS on loopback: it accepts the
// run's agent and no other, whatever the endpoint says.
import { createServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createAgentCsr, createCertificateAuthority, signAgentCertificate, signServerCertificate, type CertificateAuthority } from '../../../core/pki';
import { SERVER_WORKER_IDENTITY } from '../../../contract/pull';
import { ErrorType } from '../../../contract/errors';
import { connectExport, type ServerWorkerTls } from './export-client';

let ca: CertificateAuthority;
let worker: ServerWorkerTls;
const servers: Server[] = [];

beforeAll(async () => {
  ca = await createCertificateAuthority();
  const cert = await signServerCertificate(ca, [SERVER_WORKER_IDENTITY], 3_600_000);
  worker = { keyPem: cert.keyPem, certPem: cert.certPem, caPem: ca.certPem };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** An export as an agent serves it: the TLS client on an accepted socket, with `agentName`'s certificate. */
async function exportServedBy(agentName: string): Promise<{ runId: string; host: string; port: number }> {
  const { keyPem, csrPem } = await createAgentCsr(agentName);
  const { certPem } = await signAgentCertificate(ca, csrPem, agentName, 3_600_000);
  const server = createServer((socket) => {
    const tls = tlsConnect({ socket, key: keyPem, cert: certPem, ca: ca.certPem, servername: SERVER_WORKER_IDENTITY });
    tls.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { runId: 'r1', host: '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0 };
}

describe('connectExport', () => {
  it("accepts the run's agent", async () => {
    const socket = await connectExport(await exportServedBy('web2'), 'web2', worker);
    expect(socket.encrypted).toBe(true);
    socket.destroy();
  });

  it('refuses another agent, even one of the same CA', async () => {
    await expect(connectExport(await exportServedBy('web3'), 'web2', worker)).rejects.toMatchObject({ type: ErrorType.unauthorized, message: expect.stringContaining('the peer is "web3", not agent "web2"') });
  });
});
