// Incompressible test data that restic cannot deduplicate: every file drawn on its own.
// (Rotations or windows of one shared random block would not do: restic's content-defined
// chunks find the same pieces in each of them and upload one block's worth.)
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RandomFilesOptions {
  /** Spread the files over this many subdirectories d0, d1, … (default: all in `dir`). */
  subdirs?: number;
  /** File names are `<prefix><i>` (default `f`). */
  prefix?: string;
}

/** Writes `count` files of `bytes` random bytes each under `dir` (created if missing). */
export function writeRandomFiles(dir: string, count: number, bytes: number, opts: RandomFilesOptions = {}): void {
  const prefix = opts.prefix ?? 'f';
  for (let i = 0; i < count; i++) {
    const where = opts.subdirs ? join(dir, `d${i % opts.subdirs}`) : dir;
    mkdirSync(where, { recursive: true });
    writeFileSync(join(where, `${prefix}${i}`), randomBytes(bytes));
  }
}
