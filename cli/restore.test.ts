import { flags } from './args';
import { restoreRequest } from './restore';

describe('snapshots restore flags', () => {
  it('builds the request from repeatable and single flags', () => {
    expect(restoreRequest(['--agent', 'web2', '--target', '/srv', '--include', '/a', '--include', '*.conf', '--overwrite', 'if-newer', '--no-verify', '--wait'])).toEqual({
      agent: 'web2',
      target: '/srv',
      include: ['/a', '*.conf'],
      overwrite: 'if-newer',
      verify: false,
    });
    expect(restoreRequest([])).toEqual({});
    expect(restoreRequest(['--via', 'server'])).toEqual({ via: 'server' });
  });

  it('refuses an unknown overwrite policy and a flag without value', () => {
    expect(() => restoreRequest(['--overwrite', 'sometimes'])).toThrow(/--overwrite must be one of/);
    expect(() => restoreRequest(['--via', 'elsewhere'])).toThrow(/--via must be one of/);
    expect(() => restoreRequest(['--target', '--wait'])).toThrow(/--target needs a value/);
    expect(flags(['--include'], '--include')).toEqual([]);
  });
});
