// Which files a restore drill restores: a seeded, deterministic sample of a snapshot's
// regular files, chosen while the engine's listing streams by (a snapshot of millions of
// files is never held in memory whole). Pure apart from sha256.
//
//   always: the largest file (it spans the most chunks and packs), then the newest few (the
//           data most recently written, which no earlier drill has seen)
//   then:   files in the order of a keyed hash of (seed, path) — a uniform random order that
//           the same seed repeats — while the sample is under its file count and byte budget
//
// The same seed over the same snapshot picks the same files: a retried attempt restores what
// the first one began with, and the evidence names the seed so a drill can be repeated.
import { createHash } from 'node:crypto';
import type { SamplePick } from '../../../contract/drill';

export interface SampleCandidate {
  path: string;
  size: number;
  /** ISO-8601 modification time as the snapshot records it; null when unknown. */
  mtime: string | null;
}

export interface PickedFile extends SampleCandidate {
  picked: SamplePick;
}

export interface SampleOptions {
  /** Files in the sample at most, the always-picked ones included. */
  files: number;
  /** The sample's byte budget: random picks are added only while the sample stays within it. */
  bytes: number;
  /** How many of the newest files are always picked. */
  newest: number;
  seed: string;
}

/** The random order's key: the first 48 bits of sha256(seed NUL path), as a number. */
export function sampleKey(seed: string, path: string): number {
  return parseInt(createHash('sha256').update(seed).update('\0').update(path).digest('hex').slice(0, 12), 16);
}

const mtimeMs = (c: SampleCandidate): number => {
  const t = c.mtime === null ? NaN : Date.parse(c.mtime);
  return Number.isNaN(t) ? -Infinity : t;
};

/** Larger first; the same size: the smaller path first (a stable order whatever the listing's). */
const byLargest = (a: SampleCandidate, b: SampleCandidate): number => b.size - a.size || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const byNewest = (a: SampleCandidate, b: SampleCandidate): number => mtimeMs(b) - mtimeMs(a) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

interface Keyed extends SampleCandidate {
  key: number;
}
const byKey = (a: Keyed, b: Keyed): number => a.key - b.key || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Collects the sample from a stream of candidates. Memory is bounded by the sample's size:
 * it keeps the largest file, the newest few and the lowest random keys (more than the sample
 * needs, since files over the byte budget are passed over).
 */
export class SampleCollector {
  private seen = 0;
  private largest: SampleCandidate | null = null;
  private newest: SampleCandidate[] = [];
  private pool: Keyed[] = [];
  private readonly poolSize: number;

  constructor(private readonly opts: SampleOptions) {
    // Enough spares that files passed over for the budget rarely leave the sample short.
    this.poolSize = opts.files * 8 + 64;
  }

  /** Regular files in the listing so far. */
  get candidates(): number {
    return this.seen;
  }

  add(c: SampleCandidate): void {
    this.seen++;
    if (this.largest === null || byLargest(c, this.largest) < 0) this.largest = c;
    const keepNewest = this.opts.newest + 1; // one spare: the largest may also be among the newest
    if (this.newest.length < keepNewest || byNewest(c, this.newest[this.newest.length - 1]!) < 0) {
      this.newest.push(c);
      this.newest.sort(byNewest);
      if (this.newest.length > keepNewest) this.newest.pop();
    }
    const keyed = { ...c, key: sampleKey(this.opts.seed, c.path) };
    if (this.pool.length < this.poolSize || byKey(keyed, this.pool[this.pool.length - 1]!) < 0) {
      // Sorted insertion: the pool is small (a few hundred), listings are long.
      let i = this.pool.length;
      while (i > 0 && byKey(keyed, this.pool[i - 1]!) < 0) i--;
      this.pool.splice(i, 0, keyed);
      if (this.pool.length > this.poolSize) this.pool.pop();
    }
  }

  /** The sample: the largest, the newest, then random picks within the count and byte budget. */
  result(): PickedFile[] {
    const picked: PickedFile[] = [];
    const taken = new Set<string>();
    let bytes = 0;
    const take = (c: SampleCandidate, why: SamplePick) => {
      picked.push({ path: c.path, size: c.size, mtime: c.mtime, picked: why });
      taken.add(c.path);
      bytes += c.size;
    };
    if (this.largest && this.opts.files > 0) take(this.largest, 'largest');
    for (const c of this.newest) {
      if (picked.length >= this.opts.files || picked.length > this.opts.newest) break;
      if (!taken.has(c.path)) take(c, 'newest');
    }
    for (const c of this.pool) {
      if (picked.length >= this.opts.files) break;
      if (taken.has(c.path) || bytes + c.size > this.opts.bytes) continue;
      take(c, 'random');
    }
    return picked;
  }
}

/** The sample of `candidates` at once (what the collector makes of a whole listing). */
export function selectSample(candidates: Iterable<SampleCandidate>, opts: SampleOptions): PickedFile[] {
  const c = new SampleCollector(opts);
  for (const x of candidates) c.add(x);
  return c.result();
}

/**
 * A directory-mode database dump of the backup run `backupRunId`, recognised by where the
 * plugins write them (`…/plugin-work/<run id>/<config id>/<plugin>/<file>`, see
 * activities/agent/plugin-activities.ts): its configuration id, or null for any other path.
 */
export function directoryDumpOf(path: string, backupRunId: string | null): { configId: number } | null {
  if (!backupRunId) return null;
  const marker = `/plugin-work/${backupRunId}/`;
  const at = path.indexOf(marker);
  if (at < 0) return null;
  const m = /^([1-9]\d{0,14})\/[^/]+\/[^/]+$/.exec(path.slice(at + marker.length));
  return m ? { configId: Number(m[1]) } : null;
}
