import { classifyHttpStatus, isCertificateError } from './http';

describe('classifyHttpStatus', () => {
  it.each([
    [200, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [400, 'refused'],
    [401, 'refused'],
    [403, 'refused'],
    [404, 'refused'],
    [410, 'refused'],
    [301, 'refused'],
  ])('%i is %s', (status, cls) => {
    expect(classifyHttpStatus(status)).toBe(cls);
  });
});

describe('isCertificateError', () => {
  it('finds the certificate code on the error or its cause', () => {
    expect(isCertificateError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } }))).toBe(true);
    expect(isCertificateError({ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' })).toBe(true);
    expect(isCertificateError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(false);
    expect(isCertificateError(null)).toBe(false);
  });
});
