import { InputError } from '../contract/errors';
import { backendSecretValues, checkRepositoryEngineRequest, parseBackendSecrets, parseRepositoryOptions, repositoryAccess, serializeBackendSecrets } from './repository-backend';

const FP = Array.from({ length: 32 }, () => 'ab').join(':');

describe('what each engine accepts as a repository', () => {
  it('takes restic paths and s3: URLs, borg paths and ssh:// URLs with keys, pbs repositories with a fingerprint', () => {
    expect(() => checkRepositoryEngineRequest({ engine: 'restic', url: '/srv/r' })).not.toThrow();
    expect(() => checkRepositoryEngineRequest({ engine: 'restic', url: 's3:http://h:9000/b' })).not.toThrow();
    expect(() => checkRepositoryEngineRequest({ engine: 'borg', url: '/srv/b', appendOnly: true })).not.toThrow();
    expect(() => checkRepositoryEngineRequest({ engine: 'borg', url: 'ssh://borg@backup.example:2222/./repo', ssh: { privateKey: 'k', knownHosts: '[backup.example]:2222 ssh-ed25519 AAAA' } })).not.toThrow();
    expect(() => checkRepositoryEngineRequest({ engine: 'pbs', url: 'backup@pbs!backstop@pbs.example:8007:store1', pbs: { fingerprint: FP } })).not.toThrow();
    expect(() => checkRepositoryEngineRequest({ engine: 'pbs', url: 'root@pam@10.0.0.5:store_1', pbs: { fingerprint: FP } })).not.toThrow();
  });

  it.each([
    [{ engine: 'restic', url: 'ssh://u@h/r' }, 'a restic repository is a local path or an s3: URL'],
    [{ engine: 'borg', url: 's3:http://h/b' }, 'a borg repository is a local path or ssh://'],
    [{ engine: 'borg', url: 'ssh://u@h/r' }, 'needs ssh.privateKey and ssh.knownHosts'],
    [{ engine: 'borg', url: 'ssh://u@h/r', ssh: { privateKey: 'k', knownHosts: ' ' } }, "must list the server's host keys"],
    [{ engine: 'borg', url: '/r', ssh: { privateKey: 'k', knownHosts: 'x' } }, 'not local paths'],
    [{ engine: 'restic', url: '/r', appendOnly: true }, 'appendOnly is for borg'],
    [{ engine: 'borg', url: '/r', s3: {} }, 'borg cannot use them'],
    [{ engine: 'pbs', url: '/r', pbs: { fingerprint: FP } }, 'a pbs repository is user@realm!token@host'],
    [{ engine: 'pbs', url: 'u@pam@h:store' }, 'needs pbs.fingerprint'],
    [{ engine: 'restic', url: '/r', pbs: { fingerprint: FP } }, 'pbs settings are for pbs repositories'],
  ] as const)('refuses %j with a reason', (req, reason) => {
    expect(() => checkRepositoryEngineRequest(req as Parameters<typeof checkRepositoryEngineRequest>[0])).toThrow(InputError);
    expect(() => checkRepositoryEngineRequest(req as Parameters<typeof checkRepositoryEngineRequest>[0])).toThrow(reason);
  });
});

describe('repository access', () => {
  it('gives borg its SSH key and append-only flag, pbs its fingerprint, namespace and key; nothing to restic', () => {
    const secrets = { sshPrivateKey: 'KEY', pbsEncryptionKey: '{"kdf":null}', pbsEncryptionPassword: 'kp' };
    const options = { appendOnly: true, knownHosts: 'h ssh-ed25519 A', pbs: { fingerprint: FP, namespace: 'site/a' } };
    expect(repositoryAccess({ url: 'ssh://u@h/r', engine: 'borg' }, 'pw', undefined, options, secrets)).toEqual({
      engine: 'borg', url: 'ssh://u@h/r', password: 'pw', appendOnly: true, ssh: { privateKey: 'KEY', knownHosts: 'h ssh-ed25519 A' },
    });
    expect(repositoryAccess({ url: 'u@pam@h:s', engine: 'pbs' }, 'pw', undefined, options, secrets)).toEqual({
      engine: 'pbs', url: 'u@pam@h:s', password: 'pw', pbs: { fingerprint: FP, namespace: 'site/a', encryptionKey: '{"kdf":null}', encryptionPassword: 'kp' },
    });
    expect(repositoryAccess({ url: '/r', engine: 'restic' }, 'pw', { A: 'b' }, options, secrets)).toEqual({ engine: 'restic', url: '/r', password: 'pw', env: { A: 'b' } });
  });

  it('round-trips sealed secrets and options, dropping what it does not know', () => {
    expect(parseBackendSecrets(serializeBackendSecrets({ sshPrivateKey: 'k' }))).toEqual({ sshPrivateKey: 'k' });
    expect(parseBackendSecrets('{"sshPrivateKey":"k","other":1}')).toEqual({ sshPrivateKey: 'k' });
    expect(parseRepositoryOptions({ appendOnly: true, pbs: { fingerprint: 'f' }, junk: 1 })).toEqual({ appendOnly: true, pbs: { fingerprint: 'f' } });
    expect(parseRepositoryOptions(null)).toEqual({});
  });

  it('redacts every line of a multi-line key, not its armour', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
    const values = backendSecretValues({ sshPrivateKey: key, pbsEncryptionPassword: 'kp' });
    expect(values).toContain(key);
    expect(values).toContain('kp');
    expect(values).toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect(values).toContain('AAAAMwAAAAtzc2gtZW');
    expect(values.filter((v) => !v.includes('\n')).some((v) => v.startsWith('-----'))).toBe(false);
  });
});
