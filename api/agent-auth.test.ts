import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import { authenticateRequest } from './agent-auth';
import type { ApiContext } from './context';
import { fingerprintOfDer } from '../core/pki';

const der = Buffer.from('a certificate');

function tlsSocket(authorized: boolean): TLSSocket {
  const s = new TLSSocket(new Socket());
  Object.assign(s, { authorized, getPeerCertificate: () => ({ raw: der }) });
  return s;
}

function ctx(found: boolean) {
  const seen: string[] = [];
  const c = {
    catalog: { identity: { findToken: async (t: string) => (t === 'admin-token' ? { name: 'admin', scope: 'admin', agentName: null } : t === 'agent-token' ? { name: 'a', scope: 'agent', agentName: 'web1' } : null) } },
    agentIdentity: {
      findCertificate: async (fp: string) => {
        seen.push(fp);
        return found ? { agentName: 'web1', fingerprint: fp, notAfter: '2030-01-01T00:00:00.000Z' } : null;
      },
    },
  } as unknown as ApiContext;
  return { c, seen };
}

const req = (o: { auth?: string; socket?: unknown }) => ({ headers: o.auth ? { authorization: o.auth } : {}, socket: o.socket ?? new Socket() }) as unknown as Request;

describe('authenticateRequest', () => {
  it('takes the agent from a verified client certificate, looked up by fingerprint every time', async () => {
    const { c, seen } = ctx(true);
    const id = await authenticateRequest(c, req({ socket: tlsSocket(true) }), 'agentHeartbeat');
    expect(id).toMatchObject({ scope: 'agent', agentName: 'web1', certificateFingerprint: fingerprintOfDer(der) });
    expect(seen).toEqual([fingerprintOfDer(der)]);
  });

  it('refuses a CA-signed certificate the catalog no longer accepts (revoked), even with a token', async () => {
    const { c } = ctx(false);
    await expect(authenticateRequest(c, req({ socket: tlsSocket(true), auth: 'Bearer admin-token' }), 'agentHeartbeat')).rejects.toThrow(/client certificate refused/);
  });

  it('ignores an unverified certificate and falls back to the bearer token', async () => {
    const { c, seen } = ctx(true);
    expect(await authenticateRequest(c, req({ socket: tlsSocket(false), auth: 'Bearer admin-token' }), 'listJobs')).toMatchObject({ scope: 'admin' });
    expect(seen).toEqual([]);
  });

  it('keeps agents (certificate or token) to agent operations', async () => {
    const { c } = ctx(true);
    await expect(authenticateRequest(c, req({ socket: tlsSocket(true) }), 'listJobs')).rejects.toThrow(/cannot call this operation/);
    await expect(authenticateRequest(c, req({ auth: 'Bearer agent-token' }), 'createAgentToken')).rejects.toThrow(/cannot call this operation/);
    await expect(authenticateRequest(c, req({}), 'listAgents')).rejects.toMatchObject({ type: 'UnauthorizedError' });
  });

  it('hands the bootstrap token of an enrollment to the handler unchecked, and needs one', async () => {
    const { c } = ctx(true);
    expect(await authenticateRequest(c, req({ auth: 'Bearer bsb_x' }), 'enrollAgent')).toMatchObject({ bootstrapToken: 'bsb_x', agentName: null });
    await expect(authenticateRequest(c, req({}), 'enrollAgent')).rejects.toThrow(/bootstrap token/);
  });
});
