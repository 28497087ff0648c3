import { configFilePath, parseConfigFile, resolveConnection, type ConnectionInputs } from './connection';

const file = parseConfigFile(`
# the embedded stack on this laptop
[default]
api-url = http://127.0.0.1:8420

[prod]
api-url = https://backstop.example.com/
token-file = ~/.config/backstop/prod.token
; staging's token is written here, quoted
[staging]
api-url = "https://staging.example.com"
token = 'stg-token'
`);

const inputs = (over: Partial<ConnectionInputs> = {}): ConnectionInputs => ({
  flags: {},
  environment: {},
  file,
  filePath: '/home/op/.config/backstop/config',
  defaults: { apiUrl: 'http://127.0.0.1:8420', token: 'embedded-admin' },
  readTokenFile: (p) => (p === '~/.config/backstop/prod.token' ? 'prod-token\n' : ''),
  ...over,
});

describe('parseConfigFile', () => {
  it('reads profiles, comments and quoted values', () => {
    expect(file).toEqual({
      default: { apiUrl: 'http://127.0.0.1:8420' },
      prod: { apiUrl: 'https://backstop.example.com/', tokenFile: '~/.config/backstop/prod.token' },
      staging: { apiUrl: 'https://staging.example.com', token: 'stg-token' },
    });
  });
  it('refuses an unknown key with its line, so a typo does not pick the wrong server', () => {
    expect(() => parseConfigFile('[prod]\napi_url = https://x', '/c')).toThrow('/c:2: expected [profile] or one of api-url, token, token-file = value');
  });
});

describe('resolveConnection: flags > environment > profile > defaults', () => {
  it('takes the default profile, then the embedded defaults', () => {
    expect(resolveConnection(inputs())).toEqual({ apiUrl: 'http://127.0.0.1:8420', token: 'embedded-admin', from: { apiUrl: 'profile', token: 'default' }, profile: 'default' });
    expect(resolveConnection(inputs({ file: null }))).toMatchObject({ from: { apiUrl: 'default', token: 'default' }, profile: null });
  });
  it('takes a named profile, its token from a token file, the URL without a trailing slash', () => {
    expect(resolveConnection(inputs({ flags: { profile: 'prod' } }))).toEqual({ apiUrl: 'https://backstop.example.com', token: 'prod-token', from: { apiUrl: 'profile', token: 'profile' }, profile: 'prod' });
  });
  it('lets the environment override the profile, and flags the environment', () => {
    const environment = { apiUrl: 'http://env:1', token: 'env-token' };
    expect(resolveConnection(inputs({ flags: { profile: 'staging' }, environment }))).toMatchObject({ apiUrl: 'http://env:1', token: 'env-token', from: { apiUrl: 'env', token: 'env' } });
    expect(resolveConnection(inputs({ flags: { profile: 'staging', apiUrl: 'http://flag:2', token: 'flag-token' }, environment }))).toMatchObject({ apiUrl: 'http://flag:2', token: 'flag-token', from: { apiUrl: 'flag', token: 'flag' } });
  });
  it('ignores empty values, and says when there is no token at all', () => {
    expect(resolveConnection(inputs({ environment: { token: ' ' }, defaults: { apiUrl: 'http://d' }, file: null }))).toMatchObject({ token: undefined, from: { token: 'none' } });
  });
  it('refuses a profile the file does not have, naming the ones it has', () => {
    expect(() => resolveConnection(inputs({ flags: { profile: 'qa' } }))).toThrow('no profile [qa] in /home/op/.config/backstop/config (it has: default, prod, staging)');
    expect(() => resolveConnection(inputs({ flags: { profile: 'qa' }, file: null }))).toThrow('(no such file)');
  });
});

test('the config file lives under XDG_CONFIG_HOME when it is set (absolute), else ~/.config', () => {
  expect(configFilePath({ XDG_CONFIG_HOME: '/cfg' }, '/home/op')).toBe('/cfg/backstop/config');
  expect(configFilePath({ XDG_CONFIG_HOME: 'relative' }, '/home/op')).toBe('/home/op/.config/backstop/config');
  expect(configFilePath({}, '/home/op')).toBe('/home/op/.config/backstop/config');
});
