// Secrets at rest: AES-256-GCM with a master key. The key comes from BACKSTOP_MASTER_KEY
// (64 hex chars or base64 of 32 bytes) or from a key file created 0600 on first use.
// During a key rotation a box also holds the previous key: it seals under the current key
// only, and opens with the current key first, then the previous one, so values sealed
// before the switch keep opening until `backstop admin rotate-master-key` has re-sealed them.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../contract/errors';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    private readonly previous: readonly Buffer[] = [],
  ) {}

  static fromKey(key: Buffer): SecretBox {
    return SecretBox.fromKeys(key, []);
  }

  /** Seals under `current`; opens with `current`, then each of `previous` (a rotation in progress). */
  static fromKeys(current: Buffer, previous: readonly Buffer[]): SecretBox {
    for (const k of [current, ...previous]) if (k.length !== KEY_BYTES) throw new InputError(`master key must be ${KEY_BYTES} bytes`);
    return new SecretBox(current, previous.filter((k) => !k.equals(current)));
  }

  /** A box with the current key only: what a rotation re-seals with and checks against. */
  currentOnly(): SecretBox {
    return new SecretBox(this.key);
  }

  /** True when the box also accepts a previous key. */
  get hasPreviousKey(): boolean {
    return this.previous.length > 0;
  }

  /** `v1:<iv>:<tag>:<ciphertext>`, base64 parts; the context binds a ciphertext to its row. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new InputError('unrecognised secret format');
    // GCM's tag tells a wrong key apart from the right one, so trying each key is safe.
    for (const key of [this.key, ...this.previous]) {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        // Next key; never echo the ciphertext or key material.
      }
    }
    throw new InputError('secret could not be decrypted: wrong master key or tampered value');
  }
}

export function parseMasterKey(text: string, what = 'BACKSTOP_MASTER_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new InputError(`${what} must be 32 bytes, as 64 hex characters or base64`);
  }
  return key;
}

/**
 * The previous master key during a rotation: BACKSTOP_MASTER_KEY_PREVIOUS, else the key file
 * `master.key.previous` beside the current one when it exists; undefined otherwise.
 */
export function loadPreviousMasterKey(envValue: string | undefined, keyFile: string): Buffer | undefined {
  if (envValue) return parseMasterKey(envValue, 'BACKSTOP_MASTER_KEY_PREVIOUS');
  return existsSync(keyFile) ? parseMasterKey(readFileSync(keyFile, 'utf8'), keyFile) : undefined;
}

/** The box every process seals and opens with: the current key, and the previous one while a rotation runs. */
export function loadSecretBox(keys: { masterKey: string | undefined; previousMasterKey: string | undefined }, dataDir: string): SecretBox {
  const current = loadMasterKey(keys.masterKey, join(dataDir, 'master.key'));
  const previous = loadPreviousMasterKey(keys.previousMasterKey, join(dataDir, 'master.key.previous'));
  return SecretBox.fromKeys(current, previous ? [previous] : []);
}

/** Loads the master key from the environment value, else from (or into) the key file. */
export function loadMasterKey(envValue: string | undefined, keyFile: string): Buffer {
  if (envValue) return parseMasterKey(envValue);
  if (existsSync(keyFile)) {
    const mode = statSync(keyFile).mode & 0o777;
    if (mode & 0o077) chmodSync(keyFile, 0o600);
    return parseMasterKey(readFileSync(keyFile, 'utf8'));
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  // 'wx' fails if another process created the file first; then read theirs.
  try {
    writeFileSync(keyFile, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseMasterKey(readFileSync(keyFile, 'utf8'));
    throw err;
  }
}
