// The part of each job's source that changes between runs, so that every backup writes new
// data (a kill then lands on a restic that is uploading, not only on one that finds nothing
// new) while every snapshot can still be checked after a restore without remembering what
// the file held at that moment: the file carries the sha256 of its own content in its last
// 32 bytes.
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { renameSync, writeFileSync } from 'node:fs';

/** The name of the changing file inside a job's source directory. */
export const CHURN_FILE = 'churn.bin';
const DIGEST_BYTES = 32;

/** `size` random bytes followed by their sha256. */
export function churnContent(size: number, random: (n: number) => Buffer = randomBytes): Buffer {
  const payload = random(size);
  return Buffer.concat([payload, createHash('sha256').update(payload).digest()]);
}

/** True when the last 32 bytes are the sha256 of everything before them. */
export function churnIntact(content: Buffer): boolean {
  if (content.length < DIGEST_BYTES) return false;
  const payload = content.subarray(0, content.length - DIGEST_BYTES);
  return createHash('sha256').update(payload).digest().equals(content.subarray(content.length - DIGEST_BYTES));
}

/**
 * Replaces the churn file of `sourceDir` at once (a backup reads the old file or the new one,
 * never half of one): written next to the source directory, outside what the job backs up,
 * on the same filesystem, then renamed into place.
 */
export function replaceChurnFile(sourceDir: string, size: number): void {
  const staging = join(dirname(sourceDir), `.${basename(sourceDir)}.${CHURN_FILE}.new`);
  writeFileSync(staging, churnContent(size));
  renameSync(staging, join(sourceDir, CHURN_FILE));
}
