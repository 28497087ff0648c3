import { checkFingerprint, checkNamespace, formatPbsRepository, isPbsRepository, parsePbsRepository } from './repository';

describe('PBS repository strings', () => {
  it('parses an API token repository with a port', () => {
    expect(parsePbsRepository('backup@pbs!backstop@pbs.example.com:8007:store1')).toEqual({
      authId: 'backup@pbs!backstop', user: 'backup', realm: 'pbs', token: 'backstop', host: 'pbs.example.com', port: 8007, datastore: 'store1',
    });
  });

  it('parses a user repository without a port, and IPv6 hosts in brackets', () => {
    expect(parsePbsRepository('admin@pam@10.0.0.5:store_2')).toMatchObject({ authId: 'admin@pam', token: null, host: '10.0.0.5', port: null, datastore: 'store_2' });
    expect(parsePbsRepository('backup@pbs!t1@[fe80::51]:1234:s')).toMatchObject({ host: '[fe80::51]', port: 1234, datastore: 's' });
  });

  it('defaults the user to root@pam as the client does', () => {
    expect(parsePbsRepository('myhost:store1')).toMatchObject({ authId: 'root@pam', host: 'myhost', datastore: 'store1' });
  });

  it('round-trips through its canonical form', () => {
    const r = parsePbsRepository('backup@pbs!backstop@pbs.example.com:8007:store1');
    expect(formatPbsRepository(r)).toBe('backup@pbs!backstop@pbs.example.com:8007:store1');
  });

  it.each([
    ['', /empty/],
    ['store1', /names no server/],
    ['/srv/restic-repo', /names no server/],
    ['s3:https://s3.example.com/bucket', /does not match/],
    ['user@pbs@host:', /does not match/],
    ['user@pbs!@host:store', /does not match/],
    ['user@pbs@host:99999:store', /out of range/],
    ['user@pbs@host:store/sub', /does not match/],
  ])('rejects %j with a clear InputError', (url, why) => {
    expect(() => parsePbsRepository(url)).toThrow(why);
    try {
      parsePbsRepository(url);
    } catch (e) {
      expect((e as Error).name).toBe('InputError');
    }
  });

  it('tells PBS repositories from restic locations', () => {
    expect(isPbsRepository('backup@pbs!backstop@pbs:store1')).toBe(true);
    expect(isPbsRepository('/var/backups/repo')).toBe(false);
    expect(isPbsRepository('s3:s3.amazonaws.com/bucket')).toBe(false);
    expect(isPbsRepository('sftp:user@host:/srv/repo')).toBe(false);
  });

  it('validates namespaces and fingerprints', () => {
    expect(checkNamespace(undefined)).toBeNull();
    expect(checkNamespace('')).toBeNull();
    expect(checkNamespace('prod/web')).toBe('prod/web');
    expect(() => checkNamespace('a/b/c/d/e/f/g/h')).toThrow(/invalid PBS namespace/);
    expect(() => checkNamespace('../etc')).toThrow(/invalid PBS namespace/);
    const fp = Array.from({ length: 32 }, (_, i) => (i + 10).toString(16).padStart(2, '0').toUpperCase()).join(':');
    expect(checkFingerprint(fp)).toBe(fp.toLowerCase());
    expect(() => checkFingerprint('aa:bb')).toThrow(/fingerprint/);
  });
});
