import { nulCharacters, readParameter } from './validation';

describe('readParameter', () => {
  it('reads any run of digits as a number, so the schema bounds judge it', () => {
    expect(readParameter('42', { type: 'integer' })).toBe(42);
    expect(readParameter('12345678901234567890', { type: 'integer' })).toBe(Number('12345678901234567890'));
    expect(readParameter('4.2', { type: 'integer' })).toBe('4.2');
    expect(readParameter('true', { type: 'boolean' })).toBe(true);
    expect(readParameter('x', { type: 'string' })).toBe('x');
  });
});

describe('nulCharacters', () => {
  it('finds U+0000 in strings and property names at any depth, with their path', () => {
    expect(nulCharacters({ a: ['ok', 'b\u0000d'], ['k\u0000']: 1 }, 'body')).toEqual([
      { path: 'body/a/1', message: 'must not contain NUL (U+0000) characters' },
      { path: 'body', message: 'must not have a property name containing NUL (U+0000)' },
    ]);
    expect(nulCharacters({ a: 'fine', n: 3, z: null }, 'body')).toEqual([]);
  });
});
