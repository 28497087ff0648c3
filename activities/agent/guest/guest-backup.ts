// One guest backup, end to end on the QEMU host: freeze the view, stage each disk's segments
// (reading from the disk only what the bitmap marks dirty, or everything allocated for a full
// read), store the stage with the engine against the parent snapshot, and check that the
// engine carried every untouched segment over from the parent — a segment it re-read would be
// the sparse placeholder, zeros: a wrong backup. If it did not, the snapshot is forgotten and
// the backup redone as a full read, said in the result. The bitmaps are not touched here:
// they are committed only after the snapshot is recorded (guest-view.ts commitBitmaps).
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BackupEngine, EngineSnapshot, RepositoryAccess, RunControl } from '../../../contract/engine';
import type { BackupStats } from '../../../contract/model';
import type { GuestSource } from '../../../contract/guest';
import { freezeView, releaseView, type FrozenDisk, type GuestDisk } from './guest-view';
import { fromMtimeRuns, toMtimeRuns, type GuestManifest, type ManifestConfigFile, type ManifestDisk } from '../../shared/guest/guest-manifest';
import { readNbdMap } from './nbd-info';
import { dataExtents, dirtyExtents } from './nbd-map';
import { NbdReader } from './nbd-client';
import { runMtimeAfter, scrubStaged, stageDisk } from './guest-stage';
import type { Qmp } from './qmp-client';
import type { BitmapMode } from './bitmap-plan';
import { totalLength, type Extent } from '../../shared/guest/extents';

export interface GuestParent {
  runId: string;
  snapshotId: string;
  manifest: GuestManifest;
}

export interface GuestBackupInput {
  jobId: number;
  runId: string;
  parent: GuestParent | null;
  disks: GuestDisk[];
  /** The guest's configuration files on this host (a Proxmox VE `qemu-server/<vmid>.conf`, a libvirt XML). */
  configFiles: string[];
  /** The job's guest, recorded in the manifest (catalog recovery recreates the job from it). */
  source?: GuestSource;
  segmentBytes: number;
  /** The job's stage directory: the same path every run (the engine matches segments by path). */
  stageRoot: string;
  /** This run's scratch directory (the view's overlays and socket). */
  workDir: string;
  qmp: Qmp;
  engine: BackupEngine;
  repo: RepositoryAccess;
  host: string;
  tags: string[];
  control: RunControl;
  createImage: (file: string, size: number) => Promise<void>;
  /** Bytes read from the disks so far, as they are read (progress, heartbeats). */
  onDiskRead?: (bytes: number) => void;
  /** The bytes this attempt is about to read from the disks (the extents it planned), for progress. */
  onReadPlan?: (bytes: number) => void;
  /** Each phase as it ends, with its wall time (the run log; the bench's breakdown). */
  onPhase?: (phase: 'freeze' | 'map' | 'stage' | 'engine' | 'release', ms: number) => void;
  now?: () => number;
}

export interface GuestBackupResult {
  snapshot: EngineSnapshot;
  stats: BackupStats | null;
  manifest: GuestManifest;
  /** Bytes read from the disks, all attempts of the staging together. */
  bytesRead: number;
}

export class GuestBackupError extends Error {
  override name = 'GuestBackupError';
}

/** How a disk is read this time: its extents and, for an incremental, the parent's segment mtimes. */
interface DiskRead {
  frozen: FrozenDisk;
  mode: BitmapMode;
  reason: string | null;
  extents: Extent[];
  parentMtimes: number[] | null;
}

async function planReads(view: { socketPath: string; disks: FrozenDisk[] }, input: GuestBackupInput, forceFull: string | null): Promise<DiskRead[]> {
  const reads: DiskRead[] = [];
  for (const d of view.disks) {
    const address = { socketPath: view.socketPath, exportName: d.exportName };
    const before = input.parent?.manifest.disks.find((p) => p.name === d.disk.name) ?? null;
    let mode: BitmapMode = d.mode;
    let reason = d.reason;
    if (mode === 'reuse' && forceFull) [mode, reason] = ['none', forceFull];
    else if (mode === 'reuse' && (!before || before.size !== d.size || before.segmentBytes !== input.segmentBytes)) {
      [mode, reason] = ['none', before ? `disk ${d.disk.name} changed size or segment size since the last snapshot: reading the whole disk` : `the last snapshot has no disk ${d.disk.name}: reading the whole disk`];
    }
    if (mode === 'reuse') {
      const extents = dirtyExtents(await readNbdMap(address, `qemu:dirty-bitmap:${d.base}`, d.size, { signal: input.control.signal }));
      reads.push({ frozen: d, mode, reason, extents, parentMtimes: fromMtimeRuns(before!.mtimes, Math.ceil(d.size / input.segmentBytes)) });
    } else {
      const extents = dataExtents(await readNbdMap(address, 'base:allocation', d.size, { signal: input.control.signal }));
      reads.push({ frozen: d, mode, reason, extents, parentMtimes: null });
    }
  }
  return reads;
}

/** Copies the configuration files into `<stage>/config/`, keeping their mtimes (unchanged ones then come over unread too). */
function stageConfig(root: string, files: string[]): ManifestConfigFile[] {
  const dir = join(root, 'config');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return files.map((file) => {
    const st = statSync(file);
    const path = basename(file);
    copyFileSync(file, join(dir, path));
    const mtime = Math.floor(st.mtimeMs / 1000);
    utimesSync(join(dir, path), mtime, mtime);
    return { path, size: st.size, mtime };
  });
}

/** What the stage left by the last successful backup holds: that run's segments, as sparse placeholders. */
interface StageState {
  runId: string;
  disks: Array<{ name: string; size: number; segmentBytes: number }>;
}

const stageStateFile = (stageRoot: string) => `${stageRoot}.state.json`;
/** The latest segment mtime any attempt of the job used on this agent (kept beside the stage, which a failed attempt removes). */
const mtimeFloorFile = (stageRoot: string) => `${stageRoot}.mtime-floor`;

function readMtimeFloor(stageRoot: string): number {
  try {
    const n = Number(readFileSync(mtimeFloorFile(stageRoot), 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * The stage's state, taken: the file goes at once, so an attempt killed halfway leaves no
 * claim that the stage matches anything (the next attempt stages every segment again).
 */
function takeStageState(stageRoot: string): StageState | null {
  const file = stageStateFile(stageRoot);
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as StageState;
    rmSync(file, { force: true });
    return state;
  } catch {
    rmSync(file, { force: true });
    return null;
  }
}

export async function backupGuest(input: GuestBackupInput): Promise<GuestBackupResult> {
  const now = input.now ?? Date.now;
  const viewRequest = { jobId: input.jobId, runId: input.runId, parentRunId: input.parent?.runId ?? null, disks: input.disks, workDir: input.workDir, createImage: input.createImage };
  let mark = Date.now();
  const phase = (name: Parameters<NonNullable<GuestBackupInput['onPhase']>>[0]) => {
    const t = Date.now();
    input.onPhase?.(name, t - mark);
    mark = t;
  };
  const view = await freezeView(input.qmp, viewRequest);
  phase('freeze');
  const runTag = input.tags[0];
  let bytesRead = 0;
  const stageState = takeStageState(input.stageRoot);
  let keepStage = false;
  try {
    // A snapshot an earlier attempt of this run made is not known to be right (it may not
    // have been checked): the view still stands, so it is made again from the same instant.
    if (runTag) {
      const earlier = await input.engine.findSnapshotsByTag(input.repo, runTag);
      await input.engine.forgetSnapshots(input.repo, earlier.map((s) => s.id));
    }
    let forceFull: string | null = null;
    for (;;) {
      const reads = await planReads(view, input, forceFull);
      input.onReadPlan?.(reads.reduce((n, r) => n + totalLength(r.extents), 0));
      phase('map');
      const allParentMtimes = reads.flatMap((r) => r.parentMtimes ?? []);
      const runMtime = runMtimeAfter(now(), allParentMtimes.length > 0 ? allParentMtimes : null, readMtimeFloor(input.stageRoot));
      mkdirSync(input.stageRoot, { recursive: true, mode: 0o700 });
      writeFileSync(mtimeFloorFile(input.stageRoot), String(runMtime));
      const disks: ManifestDisk[] = [];
      let expectedUnmodified = 0;
      const touched = new Map<string, number[]>();
      for (const r of reads) {
        const reader = await NbdReader.open({ socketPath: view.socketPath, exportName: r.frozen.exportName });
        const reuse = forceFull === null && r.parentMtimes !== null && stageState?.runId === input.parent?.runId && (stageState?.disks.some((d) => d.name === r.frozen.disk.name && d.size === r.frozen.size && d.segmentBytes === input.segmentBytes) ?? false);
        try {
          const staged = await stageDisk({
            root: input.stageRoot,
            name: r.frozen.disk.name,
            size: r.frozen.size,
            segmentBytes: input.segmentBytes,
            extents: r.extents,
            parentMtimes: r.parentMtimes,
            runMtime,
            reader,
            fillFromParent: (rels, into) => fillFromParent(input, rels, into),
            onRead: (n) => input.onDiskRead?.(n),
            signal: input.control.signal,
            reuse,
          });
          touched.set(r.frozen.disk.name, staged.touched);
          bytesRead += staged.bytesRead;
          if (r.parentMtimes) expectedUnmodified += staged.mtimes.length - staged.written;
          disks.push({ name: r.frozen.disk.name, size: r.frozen.size, segmentBytes: input.segmentBytes, mode: r.mode, reason: r.reason, bytesRead: staged.bytesRead, mtimes: toMtimeRuns(staged.mtimes) });
        } finally {
          reader.close();
        }
      }
      const config = stageConfig(input.stageRoot, input.configFiles);
      const before = input.parent?.manifest.config ?? [];
      const incremental = reads.some((r) => r.parentMtimes);
      if (incremental) expectedUnmodified += config.filter((c) => before.some((b) => b.path === c.path && b.size === c.size && b.mtime === c.mtime)).length;
      const manifest: GuestManifest = { version: 1, jobId: input.jobId, runId: input.runId, frozenAt: new Date(now()).toISOString(), stageRoot: input.stageRoot, disks, config, ...(input.source ? { source: input.source } : {}) };
      writeFileSync(join(input.stageRoot, 'manifest.json'), JSON.stringify(manifest));
      phase('stage');

      const out = await input.engine.backup(
        input.repo,
        { paths: [input.stageRoot], excludes: [], tags: input.tags, host: input.host, segments: { parent: incremental ? input.parent!.snapshotId : null, readAll: !incremental } },
        input.control,
      );
      phase('engine');
      const unmodified = out.stats?.filesUnmodified;
      if (!incremental || unmodified === expectedUnmodified) {
        // Ready for the next backup, whose parent this snapshot will be once recorded.
        for (const d of disks) scrubStaged(input.stageRoot, d.name, d.size, d.segmentBytes, touched.get(d.name) ?? [], runMtime);
        writeFileSync(stageStateFile(input.stageRoot), JSON.stringify({ runId: input.runId, disks: disks.map((d) => ({ name: d.name, size: d.size, segmentBytes: d.segmentBytes })) } satisfies StageState));
        keepStage = true;
        return { snapshot: out.snapshot, stats: out.stats, manifest, bytesRead };
      }
      await input.engine.forgetSnapshots(input.repo, [out.snapshot.id]);
      if (forceFull) throw new GuestBackupError(`the engine re-read ${expectedUnmodified - (unmodified ?? 0)} segments it should have carried over, even on a full read`);
      // The engine did not carry the untouched segments over (borg's files cache lost, the
      // stage moved): what it stored for them would be zeros. Read everything instead.
      forceFull = `the engine carried ${unmodified ?? 'an unknown number of'} of ${expectedUnmodified} untouched segments over from the last snapshot: reading the whole disk`;
    }
  } finally {
    if (!keepStage) rmSync(input.stageRoot, { recursive: true, force: true });
    await releaseView(input.qmp, viewRequest);
    phase('release');
  }
}

/** The parent's copies of `rels` (segment paths below the stage root), put at `<into>/<rel>`. */
async function fillFromParent(input: GuestBackupInput, rels: string[], into: string): Promise<void> {
  const parent = input.parent!;
  const scratch = `${into}.restore`;
  rmSync(scratch, { recursive: true, force: true });
  await input.engine.restore(input.repo, parent.snapshotId, scratch, { signal: input.control.signal }, { paths: rels.map((r) => join(parent.manifest.stageRoot, r)) });
  const restoredRoot = join(scratch, parent.manifest.stageRoot);
  if (!existsSync(restoredRoot)) throw new GuestBackupError('the parent snapshot gave back none of the segments asked for');
  rmSync(into, { recursive: true, force: true });
  renameSync(restoredRoot, into);
  rmSync(scratch, { recursive: true, force: true });
}
