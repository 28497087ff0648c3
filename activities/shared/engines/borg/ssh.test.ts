import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError } from '../../../../contract/errors';
import { borgRsh, parseSshUrl, prepareSsh } from './ssh';

const OPTS = '-o IdentitiesOnly=yes -o UserKnownHostsFile=KH -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -o ConnectTimeout=15';

describe('borgRsh', () => {
  it('pins the key, the known_hosts file and strict, non-interactive ssh', () => {
    expect(borgRsh('/tmp/d/id', '/tmp/d/known_hosts')).toBe(`ssh -F /dev/null -i /tmp/d/id ${OPTS.replace('KH', '/tmp/d/known_hosts')}`);
  });

  it('quotes paths for shlex (borg) and for ssh (which splits UserKnownHostsFile at blanks)', () => {
    const rsh = borgRsh(`/var/lib/back stop/it's "x"/id`, `/var/lib/back stop/it's "x"/known_hosts`);
    // shlex: single quotes, a ' as '\''. ssh: the known_hosts value one double-quoted word, ' and " backslashed.
    expect(rsh).toBe(
      `ssh -F /dev/null -i '/var/lib/back stop/it'\\''s "x"/id' ` +
        OPTS.replace('-o UserKnownHostsFile=KH', `-o 'UserKnownHostsFile="/var/lib/back stop/it\\'\\''s \\"x\\"/known_hosts"'`),
    );
  });

  it('refuses paths ssh cannot read literally', () => {
    expect(() => borgRsh('relative/id', '/kh')).toThrow(InputError);
    expect(() => borgRsh('/a/${HOME}/id', '/kh')).toThrow(/which ssh would expand/);
    expect(() => borgRsh('/id', '/a/100%/kh')).toThrow(/which ssh would expand/);
    expect(() => borgRsh('/id', '/a\nb/kh')).toThrow(/control character/);
  });
});

describe('prepareSsh', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'backstop-ssh-test-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('writes the key (0600, final newline) and known_hosts into a private directory, and dispose removes it', async () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\r\nabc\r\n-----END OPENSSH PRIVATE KEY-----';
    const ssh = await prepareSsh({ privateKey: key, knownHosts: '[h]:2222 ssh-ed25519 AAAA' }, parent);
    const rsh = ssh.env.BORG_RSH!;
    const keyPath = /-i (\S+)/.exec(rsh)![1]!;
    const dir = dirname(keyPath);
    expect(dirname(dir)).toBe(parent);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyPath, 'utf8')).toBe('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n');
    const kh = join(dir, 'known_hosts');
    expect(statSync(kh).mode & 0o777).toBe(0o600);
    expect(readFileSync(kh, 'utf8')).toBe('[h]:2222 ssh-ed25519 AAAA\n');
    expect(rsh).toBe(borgRsh(keyPath, kh));
    expect(Object.keys(ssh.env)).toEqual(['BORG_RSH']);

    await ssh.dispose();
    expect(existsSync(dir)).toBe(false);
    await expect(ssh.dispose()).resolves.toBeUndefined();
  });

  it('keeps a key that already ends in a newline as it is', async () => {
    const ssh = await prepareSsh({ privateKey: 'k\n', knownHosts: 'h ssh-ed25519 A\n' }, parent);
    const keyPath = /-i (\S+)/.exec(ssh.env.BORG_RSH!)![1]!;
    expect(readFileSync(keyPath, 'utf8')).toBe('k\n');
    await ssh.dispose();
  });

  it('refuses an empty key or empty known_hosts, leaving nothing behind', async () => {
    await expect(prepareSsh({ privateKey: ' ', knownHosts: 'h k' }, parent)).rejects.toThrow(InputError);
    await expect(prepareSsh({ privateKey: 'k', knownHosts: '\n' }, parent)).rejects.toThrow(/StrictHostKeyChecking/);
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('parseSshUrl', () => {
  it('parses user, host, port and an absolute path', () => {
    expect(parseSshUrl('ssh://backup@nas.example.org:2222/srv/borg/repo')).toEqual({ user: 'backup', host: 'nas.example.org', port: 2222, path: '/srv/borg/repo', base: 'root' });
    expect(parseSshUrl('ssh://root@127.0.0.1/srv/repo/')).toEqual({ user: 'root', host: '127.0.0.1', path: '/srv/repo', base: 'root' });
    expect(parseSshUrl('ssh://u@[::1]:22/r')).toEqual({ user: 'u', host: '[::1]', port: 22, path: '/r', base: 'root' });
  });

  it('keeps /./ (relative to the server-side working directory) and /~/ (home), as borg does', () => {
    expect(parseSshUrl('ssh://u@h:2222/./relative/repo')).toEqual({ user: 'u', host: 'h', port: 2222, path: '/./relative/repo', base: 'cwd' });
    expect(parseSshUrl('ssh://u@h/~/repo')).toMatchObject({ path: '/~/repo', base: 'home' });
    expect(parseSshUrl('ssh://u@h/srv//a/../repo')).toMatchObject({ path: '/srv/repo' });
  });

  it.each([
    ['/srv/repo', /must start with ssh:\/\//],
    ['user@host:/srv/repo', /must start with ssh:\/\//],
    ['ssh://host/srv/repo', /name the user/],
    ['ssh://@host/srv/repo', /name the user/],
    ['ssh://-oProxyCommand=x@host/srv', /must not start with "-"/],
    ['ssh://u@-oProxyCommand=x/srv', /is not a host name/],
    ['ssh://u@/srv', /host is missing/],
    ['ssh://u@h:0/srv', /not 1-65535/],
    ['ssh://u@h:65536/srv', /not 1-65535/],
    ['ssh://u@h:ssh/srv', /not 1-65535/],
    ['ssh://u@h', /path is missing/],
    ['ssh://u@h:22/', /path is missing/],
    ['ssh://u@h/./', /path is missing/],
    ['ssh://u@h/srv/repo::archive', /names no archive/],
    ['ssh://u@[zz]/srv', /IPv6/],
    ['ssh://u@h/srv/my repo', /whitespace/],
  ])('refuses %s', (url, why) => {
    let err: unknown;
    try {
      parseSshUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(why);
    expect((err as InputError).message).toContain(JSON.stringify(url));
  });
});
