import { jobRequest, repositoryRequest } from './repositories';

const files: Record<string, string> = { '/k': 'PRIVATE KEY\n', '/kh': '[h]:22 ssh-ed25519 AAAA\n', '/pbs.key': '{"kdf":null}' };
const read = (p: string) => {
  const v = files[p];
  if (v === undefined) throw new Error(`no file ${p}`);
  return v;
};

describe('repos create', () => {
  it('builds a borg repository over SSH with keys read from files, the password from the environment', () => {
    expect(repositoryRequest(['offsite', '--url', 'ssh://borg@h:22/./r', '--engine', 'borg', '--append-only', '--ssh-key', '/k', '--known-hosts', '/kh'], 'pw-123456', read)).toEqual({
      name: 'offsite',
      url: 'ssh://borg@h:22/./r',
      password: 'pw-123456',
      engine: 'borg',
      appendOnly: true,
      ssh: { privateKey: 'PRIVATE KEY\n', knownHosts: '[h]:22 ssh-ed25519 AAAA\n' },
    });
  });

  it('builds a pbs repository and a restic one registered without init', () => {
    expect(repositoryRequest(['pbs', '--url', 'u@pbs!t@h:ds', '--engine', 'pbs', '--pbs-fingerprint', 'ab:cd', '--pbs-namespace', 'site', '--pbs-keyfile', '/pbs.key'], 'secret', read)).toMatchObject({
      engine: 'pbs',
      pbs: { fingerprint: 'ab:cd', namespace: 'site', encryptionKey: '{"kdf":null}' },
    });
    expect(repositoryRequest(['r', '--url', '/srv/r', '--no-init'], 'pw', read)).toEqual({ name: 'r', url: '/srv/r', password: 'pw', engine: 'restic', init: false });
  });

  it.each([
    [['r', '--url', '/r'], undefined, 'BACKSTOP_REPOSITORY_PASSWORD'],
    [['--url', '/r'], 'pw', 'needs a name'],
    [['r'], 'pw', 'needs --url'],
    [['r', '--url', '/r', '--engine', 'tar'], 'pw', '--engine must be one of restic, borg, pbs'],
    [['r', '--url', 'ssh://u@h/r', '--engine', 'borg', '--ssh-key', '/k'], 'pw', 'go together'],
    [['r', '--url', 'u@p@h:d', '--engine', 'pbs', '--pbs-namespace', 'x'], 'pw', 'need --pbs-fingerprint'],
  ] as const)('refuses %j', (args, password, message) => {
    expect(() => repositoryRequest([...args], password, read)).toThrow(message);
  });
});

describe('jobs create', () => {
  it('takes repeated paths and excludes, and the mode', () => {
    expect(jobRequest(['home', '--agent', 'web-1', '--repository', '3', '--path', '/home', '--path', '/etc', '--exclude', '*.tmp', '--mode', 'pull'])).toEqual({
      name: 'home', agent: 'web-1', repositoryId: 3, paths: ['/home', '/etc'], excludes: ['*.tmp'], mode: 'pull',
    });
  });

  it('refuses a job without paths, agent or a valid mode', () => {
    expect(() => jobRequest(['j', '--agent', 'a', '--repository', '1'])).toThrow('at least one --path');
    expect(() => jobRequest(['j', '--repository', '1', '--path', '/x'])).toThrow('--agent');
    expect(() => jobRequest(['j', '--agent', 'a', '--repository', '1', '--path', '/x', '--mode', 'sideways'])).toThrow('push or pull');
    expect(() => jobRequest(['j', '--agent', 'a', '--repository', 'one', '--path', '/x'])).toThrow('positive integer');
  });
});
