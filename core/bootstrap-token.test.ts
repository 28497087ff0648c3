import { decideEnrollment, parseDuration, type BootstrapTokenRow } from './bootstrap-token';

const now = new Date('2026-11-24T12:00:00Z');
const token = (o: Partial<BootstrapTokenRow> = {}): BootstrapTokenRow => ({ id: 1, agentName: null, maxUses: 1, uses: 0, expiresAt: new Date('2026-11-25T00:00:00Z'), revokedAt: null, ...o });

describe('decideEnrollment', () => {
  it('enrolls under the requested name, or the token\'s fixed name', () => {
    expect(decideEnrollment(token(), { name: 'web1', replace: false }, null, now)).toBe('web1');
    expect(decideEnrollment(token({ agentName: 'db1' }), { name: undefined, replace: false }, null, now)).toBe('db1');
  });

  it.each([
    ['unknown', null, /unknown token/],
    ['revoked', token({ revokedAt: now }), /revoked/],
    ['expired', token({ expiresAt: now }), /expired/],
    ['used up', token({ uses: 3, maxUses: 3 }), /uses are spent/],
    ['for another name', token({ agentName: 'db1' }), /for agent "db1" only/],
  ])('refuses a token that is %s', (_what, row, reason) => {
    expect(() => decideEnrollment(row, { name: 'web1', replace: false }, null, now)).toThrow(reason);
    try {
      decideEnrollment(row, { name: 'web1', replace: false }, null, now);
    } catch (err) {
      expect((err as { type: string }).type).toBe('UnauthorizedError');
    }
  });

  it('needs a name and a valid one', () => {
    expect(() => decideEnrollment(token(), { name: undefined, replace: false }, null, now)).toThrow(/name is required/);
    expect(() => decideEnrollment(token(), { name: 'Web 1', replace: false }, null, now)).toThrow(/invalid agent name/);
  });

  it('needs replace for a name that is enrolled or revoked', () => {
    expect(() => decideEnrollment(token(), { name: 'web1', replace: false }, { hasLiveCertificate: true, revoked: false }, now)).toThrow(/already enrolled/);
    expect(() => decideEnrollment(token(), { name: 'web1', replace: false }, { hasLiveCertificate: false, revoked: true }, now)).toThrow(/already enrolled/);
    expect(decideEnrollment(token(), { name: 'web1', replace: true }, { hasLiveCertificate: true, revoked: false }, now)).toBe('web1');
    expect(() => decideEnrollment(token(), { name: 'web1', replace: false }, { hasLiveCertificate: false, hasLiveToken: true, revoked: false }, now)).toThrow(/already enrolled/);
    // A name with no live credentials (its token revoked, its certificates expired) needs no replace.
    expect(decideEnrollment(token(), { name: 'web1', replace: false }, { hasLiveCertificate: false, revoked: false }, now)).toBe('web1');
  });
});

describe('parseDuration', () => {
  it('reads s, m, h and d', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
  });
  it('refuses anything else', () => {
    for (const bad of ['', '0h', '1w', 'h', '-1d', '1.5h']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });
});
