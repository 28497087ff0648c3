import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOME_FILES, loadIdentity, saveIdentity } from './home';

describe('agent home', () => {
  it('stores the key 0600 and reads the identity back; an empty home has none', () => {
    const home = join(mkdtempSync(join(tmpdir(), 'backstop-home-')), 'etc');
    expect(loadIdentity(home)).toBeNull();
    const id = { agentName: 'web1', serverUrl: 'http://api:8420', mtlsUrl: 'https://api:8443', keyPem: 'KEY', certPem: 'CERT', caPem: 'CA' };
    saveIdentity(home, id);
    expect(statSync(join(home, HOME_FILES.key)).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(loadIdentity(home)).toEqual(id);
  });
});
