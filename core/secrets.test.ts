import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SecretBox, loadMasterKey, parseMasterKey } from './secrets';

describe('SecretBox', () => {
  const box = SecretBox.fromKey(randomBytes(32));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('hunter2-password', 'repository:1');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'repository:1')).toBe('hunter2-password');
  });

  it('refuses a ciphertext moved to another row', () => {
    const sealed = box.seal('pw', 'repository:1');
    expect(() => box.open(sealed, 'repository:2')).toThrow(/could not be decrypted/);
  });

  it('refuses a different key', () => {
    const sealed = box.seal('pw', 'c');
    expect(() => SecretBox.fromKey(randomBytes(32)).open(sealed, 'c')).toThrow(/could not be decrypted/);
  });

  it('refuses a malformed value', () => {
    expect(() => box.open('garbage', 'c')).toThrow(/unrecognised/);
  });
});

describe('master key', () => {
  it('accepts hex and base64, rejects short keys', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('hex'))).toEqual(key);
    expect(parseMasterKey(key.toString('base64'))).toEqual(key);
    expect(() => parseMasterKey('abcd')).toThrow(/32 bytes/);
  });

  it('creates a 0600 key file once and reuses it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bs-key-')), 'sub', 'master.key');
    const first = loadMasterKey(undefined, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadMasterKey(undefined, file)).toEqual(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('hex'));
  });
});
