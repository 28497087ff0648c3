import { temporalTlsConfig } from './temporal-connection';

const read = (p: string) => Buffer.from(`contents of ${p}`);

describe('temporalTlsConfig', () => {
  it('is plain without any BACKSTOP_TEMPORAL_TLS_* (the dev server)', () => {
    expect(temporalTlsConfig(null, read)).toBeUndefined();
  });
  it('reads the CA and the client pair', () => {
    expect(temporalTlsConfig({ caFile: '/ca', certFile: '/crt', keyFile: '/key' }, read)).toEqual({
      serverRootCACertificate: Buffer.from('contents of /ca'),
      clientCertPair: { crt: Buffer.from('contents of /crt'), key: Buffer.from('contents of /key') },
    });
    expect(temporalTlsConfig({ caFile: '/ca' }, read)).toEqual({ serverRootCACertificate: Buffer.from('contents of /ca') });
  });
  it('refuses half a client pair', () => {
    expect(() => temporalTlsConfig({ certFile: '/crt' }, read)).toThrow(/go together/);
  });
});
