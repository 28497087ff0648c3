// The manifest a guest snapshot carries beside its disks (`manifest.json` at the stage's
// root): what was frozen when, each disk's size, segment size and how it was read, the mtime
// of every segment (as runs), and the configuration files. The next backup reads it from
// its parent to give unchanged segments their parent's mtime; a restore reads it to put the
// image back together. Pure, but for readManifest.
import { Writable } from 'node:stream';
import { posix } from 'node:path';
import type { BackupEngine, RepositoryAccess } from '../../../contract/engine';
import type { GuestManifest, MtimeRun } from '../../../contract/guest';

// The types live in the contract: the workflow carries a run's manifest to the next run as its parent.
export type { GuestManifest, ManifestConfigFile, ManifestDisk, MtimeRun } from '../../../contract/guest';

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Per-segment mtimes, compressed into runs of equal values. */
export function toMtimeRuns(mtimes: readonly number[]): MtimeRun[] {
  const runs: MtimeRun[] = [];
  for (const [i, m] of mtimes.entries()) {
    const last = runs[runs.length - 1];
    if (last && last[2] === m) last[1]++;
    else runs.push([i, 1, m]);
  }
  return runs;
}

/** The per-segment mtimes of `runs`, which must cover exactly `count` segments. */
export function fromMtimeRuns(runs: readonly MtimeRun[], count: number): number[] {
  const out: number[] = [];
  for (const [first, n, m] of runs) {
    if (first !== out.length || n <= 0) throw new ManifestError('segment mtimes do not follow each other');
    for (let k = 0; k < n; k++) out.push(m);
  }
  if (out.length !== count) throw new ManifestError(`segment mtimes cover ${out.length} of ${count} segments`);
  return out;
}

export function parseManifest(json: string): GuestManifest {
  let m: GuestManifest;
  try {
    m = JSON.parse(json) as GuestManifest;
  } catch {
    throw new ManifestError('the guest manifest is not JSON');
  }
  if (m?.version !== 1 || !Array.isArray(m.disks) || typeof m.stageRoot !== 'string') throw new ManifestError('not a version 1 guest manifest');
  for (const d of m.disks) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(d.name) || !Number.isSafeInteger(d.size) || !Number.isSafeInteger(d.segmentBytes) || d.segmentBytes <= 0) {
      throw new ManifestError(`the guest manifest describes disk ${JSON.stringify(d.name)} badly`);
    }
    fromMtimeRuns(d.mtimes, Math.ceil(d.size / d.segmentBytes));
  }
  return m;
}

/** The manifest a guest snapshot holds at its stage's root, read from the repository (`dump`, in memory: it is small). */
export async function readManifest(engine: Pick<BackupEngine, 'dumpFile'>, repo: RepositoryAccess, snapshotId: string, stageRoot: string, signal?: AbortSignal): Promise<GuestManifest> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write: (c: Buffer, _enc, cb) => {
      chunks.push(c);
      cb();
    },
  });
  await engine.dumpFile(repo, snapshotId, posix.join(stageRoot, 'manifest.json'), sink, signal);
  return parseManifest(Buffer.concat(chunks).toString('utf8'));
}
