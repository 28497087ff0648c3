import { clearedSessionCookie, csrfAllows, readCookie, sessionCookie } from './session-cookie';

describe('readCookie', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['backstop_session=abc', 'abc'],
    ['a=1; backstop_session=abc; b=2', 'abc'],
    ['other_backstop_session=x', null],
    ['garbage; backstop_session=v=w', 'v=w'],
    ['backstop_session=', null],
  ])('%p gives %p', (header, want) => {
    expect(readCookie(header, 'backstop_session')).toBe(want);
  });
});

describe('sessionCookie', () => {
  it('is HttpOnly and SameSite=Strict, Secure only over HTTPS', () => {
    expect(sessionCookie('id1', 3_600_000, false)).toBe('backstop_session=id1; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600');
    expect(sessionCookie('id1', 3_600_000, true)).toMatch(/; Secure$/);
  });
  it('clears with an empty value and Max-Age=0', () => {
    expect(clearedSessionCookie(false)).toBe('backstop_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });
});

describe('csrfAllows', () => {
  it.each([
    ['GET', undefined, true],
    ['head', undefined, true],
    ['POST', undefined, false],
    ['POST', 'wrong-token', false],
    ['POST', 'short', false],
    ['DELETE', 'the-token', true],
    ['PUT', ['the-token', 'the-token'], false],
  ])('%s with %p: %p', (method, sent, want) => {
    expect(csrfAllows(method, sent, 'the-token')).toBe(want);
  });
});
