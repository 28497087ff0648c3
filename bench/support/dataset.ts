// A deterministic dataset of mixed-size files for benchmarks, generated once and cached
// under .bench/datasets/ (gitignored). The same spec always yields the same names, sizes
// and bytes, so figures from two machines or two days compare like with like.
//
// Sizes: most files are small (config files, sources), a fifth are medium, a few large
// files carry the bulk of the bytes, the way a home or /srv directory looks. Content is
// an AES-256-CTR keystream: incompressible and not deduplicable, so restic does its full
// work (chunking, hashing, encryption) on every byte, and fast to produce.
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../test/support/tools';
import { envInt, log } from './lifecycle';

export interface DatasetSpec {
  totalBytes: number;
  files: number;
  /** Changes every byte without changing the shape. */
  seed?: string;
}

export interface Dataset {
  /** The directory to back up. */
  dir: string;
  files: number;
  dirs: number;
  bytes: number;
  /** False when it was found in the cache. */
  generated: boolean;
}

/** Bump when the layout or content rules change, so stale caches are not reused. */
const FORMAT = 'mixed-v1';
const FILES_PER_DIR = 50;
const DIRS_PER_PARENT = 20;

/** mulberry32: a tiny seeded PRNG; plenty for choosing sizes. */
function prng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const logUniform = (r: number, lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + r * (Math.log(hi) - Math.log(lo))));

/**
 * File sizes summing exactly to `totalBytes`: 75% small (128 B-16 KiB), 22% medium
 * (16-256 KiB), and 3% large files sharing what is left. When the small and medium files
 * alone exceed the total (a tiny quick-check dataset), every size is scaled down instead.
 */
export function planSizes(spec: DatasetSpec): number[] {
  const { files, totalBytes } = spec;
  if (!Number.isInteger(files) || files < 1) throw new Error(`files must be a positive integer, got ${files}`);
  if (!Number.isInteger(totalBytes) || totalBytes < files) throw new Error(`totalBytes must be an integer >= files, got ${totalBytes}`);
  const rand = prng(`${FORMAT}:${spec.seed ?? ''}:${files}:${totalBytes}`);
  const large = Math.max(1, Math.round(files * 0.03));
  const sizes: number[] = [];
  const largeIdx: number[] = [];
  for (let i = 0; i < files; i++) {
    const r = rand();
    // Which files are large is spread over the tree, not bunched at the end.
    if (i % Math.floor(files / large) === 0 && largeIdx.length < large) {
      largeIdx.push(i);
      sizes.push(0.5 + r);
    } else {
      sizes.push(rand() < 0.77 ? logUniform(r, 128, 16 * 1024) : logUniform(r, 16 * 1024, 256 * 1024));
    }
  }
  const isLarge = new Set(largeIdx);
  const smallSum = sizes.reduce((s, v, i) => (isLarge.has(i) ? s : s + v), 0);
  const rest = totalBytes - smallSum;
  if (rest >= largeIdx.length * 256 * 1024) {
    const weights = largeIdx.reduce((s, i) => s + sizes[i]!, 0);
    for (const i of largeIdx) sizes[i] = Math.floor((sizes[i]! / weights) * rest);
  } else {
    // Quick-check datasets: keep the shape, shrink everything (at least 1 byte a file).
    for (const i of largeIdx) sizes[i] = 256 * 1024 * sizes[i]!;
    const sum = sizes.reduce((s, v) => s + v, 0);
    for (let i = 0; i < files; i++) sizes[i] = Math.max(1, Math.floor((sizes[i]! / sum) * totalBytes));
  }
  // Rounding leftovers go to the largest file, so the total is exact.
  const diff = totalBytes - sizes.reduce((s, v) => s + v, 0);
  const biggest = sizes.indexOf(Math.max(...sizes));
  sizes[biggest] = sizes[biggest]! + diff;
  return sizes;
}

/** Relative path of file `i`: two directory levels, FILES_PER_DIR files per directory. */
export function filePath(i: number): string {
  const d = Math.floor(i / FILES_PER_DIR);
  return join(`d${String(Math.floor(d / DIRS_PER_PARENT)).padStart(3, '0')}`, `d${String(d % DIRS_PER_PARENT).padStart(2, '0')}`, `f${String(i).padStart(6, '0')}.bin`);
}

function fileBytes(seed: string, i: number, size: number): Buffer {
  const key = createHash('sha256').update(`${FORMAT}:key:${seed}`).digest();
  const iv = createHash('sha256').update(`${FORMAT}:iv:${seed}:${i}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size));
}

export function datasetName(spec: DatasetSpec): string {
  return `${FORMAT}-${spec.totalBytes}b-${spec.files}f${spec.seed ? `-${spec.seed}` : ''}`;
}

/**
 * The dataset for `spec` under `cacheRoot`, generated if it is not there yet. A dataset
 * counts as cached only once its manifest exists (written last, after a rename into place),
 * so an interrupted generation is started again rather than reused half-written.
 */
export function ensureDataset(spec: DatasetSpec, cacheRoot: string, log: (msg: string) => void = () => {}): Dataset {
  const name = datasetName(spec);
  const dir = join(cacheRoot, name);
  const manifest = join(cacheRoot, `${name}.json`);
  if (existsSync(manifest) && existsSync(dir)) {
    return { ...(JSON.parse(readFileSync(manifest, 'utf8')) as Omit<Dataset, 'generated' | 'dir'>), dir, generated: false };
  }
  const sizes = planSizes(spec);
  const tmp = join(cacheRoot, `${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  const made = new Set<string>();
  let bytes = 0;
  log(`generating dataset ${name} (${spec.files} files, ${(spec.totalBytes / 2 ** 20).toFixed(0)} MiB) in ${dir}`);
  for (let i = 0; i < sizes.length; i++) {
    const rel = filePath(i);
    const parent = join(tmp, rel, '..');
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(join(tmp, rel), fileBytes(spec.seed ?? '', i, sizes[i]!));
    bytes += sizes[i]!;
  }
  renameSync(tmp, dir);
  const info = { files: sizes.length, dirs: made.size, bytes };
  writeFileSync(manifest, `${JSON.stringify(info, null, 2)}\n`);
  return { ...info, dir, generated: true };
}

/** Reads every file once, so the first measured run does not pay for a cold page cache alone. */
export function warmPageCache(dir: string): number {
  const buf = Buffer.alloc(1 << 20);
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const fd = openSync(p, 'r');
        try {
          let n: number;
          while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) total += n;
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  walk(dir);
  return total;
}

/**
 * Drops the kernel's page, dentry and inode caches (root only). Returns false when the
 * kernel refuses, so the caller can say it measured with warm caches instead.
 */
export function dropPageCache(): boolean {
  try {
    // Dirty pages are not dropped: write them out first.
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

/**
 * The backup benches' dataset (bench:overhead, bench:pull): 1 GiB in 20,000 files unless
 * BENCH_SIZE_MB / BENCH_FILES say otherwise, cached under .bench/datasets.
 */
export function backupBenchDataset(): Dataset {
  const sizeMb = envInt('BENCH_SIZE_MB', 1024, 1);
  const files = envInt('BENCH_FILES', 20_000, 1);
  const cacheRoot = join(ROOT, '.bench', 'datasets');
  mkdirSync(cacheRoot, { recursive: true });
  const dataset = ensureDataset({ totalBytes: sizeMb * 2 ** 20, files }, cacheRoot, log);
  log(`dataset ${dataset.dir}: ${dataset.files} files, ${(dataset.bytes / 2 ** 20).toFixed(0)} MiB${dataset.generated ? ' (generated)' : ' (cached)'}`);
  return dataset;
}
