import { mkdtempSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SecretBox, loadMasterKey, loadPreviousMasterKey, loadSecretBox, parseMasterKey } from './secrets';

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

  it('during a rotation seals under the new key and still opens what the old key sealed', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = SecretBox.fromKey(oldKey).seal('old-secret', 'repository:1');
    const rotating = SecretBox.fromKeys(newKey, [oldKey]);
    expect(rotating.hasPreviousKey).toBe(true);
    expect(rotating.open(before, 'repository:1')).toBe('old-secret');
    const after = rotating.seal('new-secret', 'repository:1');
    expect(SecretBox.fromKey(newKey).open(after, 'repository:1')).toBe('new-secret');
    expect(() => SecretBox.fromKey(oldKey).open(after, 'repository:1')).toThrow(/could not be decrypted/);
    expect(() => rotating.currentOnly().open(before, 'repository:1')).toThrow(/could not be decrypted/);
    expect(() => rotating.open(before, 'repository:2')).toThrow(/could not be decrypted/);
  });

  it('ignores a previous key equal to the current one', () => {
    const key = randomBytes(32);
    expect(SecretBox.fromKeys(key, [key]).hasPreviousKey).toBe(false);
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

describe('loadSecretBox', () => {
  it('takes the previous key from the environment, else from master.key.previous, else none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-keys-'));
    const oldKey = randomBytes(32);
    const sealed = SecretBox.fromKey(oldKey).seal('s', 'c');
    const current = randomBytes(32).toString('hex');
    expect(loadSecretBox({ masterKey: current, previousMasterKey: undefined }, dir).hasPreviousKey).toBe(false);
    expect(loadSecretBox({ masterKey: current, previousMasterKey: oldKey.toString('hex') }, dir).open(sealed, 'c')).toBe('s');
    writeFileSync(join(dir, 'master.key.previous'), oldKey.toString('hex') + '\n', { mode: 0o600 });
    expect(loadSecretBox({ masterKey: current, previousMasterKey: undefined }, dir).open(sealed, 'c')).toBe('s');
    expect(() => loadPreviousMasterKey('short', join(dir, 'none'))).toThrow(/BACKSTOP_MASTER_KEY_PREVIOUS must be 32 bytes/);
  });
});
