import { InputError } from '../contract/errors';
import { decodeRunCursor, encodeRunCursor } from './run-cursor';

const c = { startedUs: '1795521600123456', id: '3f1c1d8e-8a35-4e4b-9a9e-0b6c5d8f2a11' };

describe('run cursor', () => {
  it('round-trips', () => {
    const encoded = encodeRunCursor(c);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeRunCursor(encoded)).toEqual(c);
  });

  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  it.each([
    ['not base64url', 'abc+/=='],
    ['not JSON', b64('{nope')],
    ['an array', b64([1, 2])],
    ['a number time', b64({ s: 1, i: c.id })],
    ['a negative time', b64({ s: '-5', i: c.id })],
    ['a bad id', b64({ s: c.startedUs, i: 'x' })],
    ['an unknown field', b64({ s: c.startedUs, i: c.id, x: 1 })],
    ['an empty string', ''],
  ])('refuses %s with a 400', (_what, cursor) => {
    expect(() => decodeRunCursor(cursor)).toThrow(InputError);
  });
});
