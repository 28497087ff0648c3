// Filesystem snapshots (btrfs, LVM, ZFS) for the modes `auto`, `btrfs`, `lvm` and `zfs`.
//
// Each source path is mapped to the volume it lives on; one snapshot per volume is made,
// named after the run. The engine later reads each path from its snapshot through a bind
// mount in a private mount namespace (commands.ts: inMountNamespace), so it records the
// original paths. `auto` falls back to the live filesystem, with a warning, for a path whose
// filesystem offers no snapshots; an explicit mode refuses such a path instead.
import { access } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BackstopError, ErrorType, InputError } from '../../../contract/errors';
import type { SnapshotMode } from '../../../contract/model';
import type { Logger } from '../../../core/logger';
import { BTRFS_SNAPSHOT_DIR, snapshotName, type MountInfo } from '../../shared/snapshot-commands';
import type { SnapshotProvider, SnapshotRequest } from './provider';
import type { SnapshotRegistry } from './registry';
import type { VolumeSnapshotter } from './volume';
import type { SnapshotBind, SnapshotHandle, FrozenVolume, Volume } from '../../../contract/snapshot';

export interface FilesystemSnapshotDeps {
  snapshotters: VolumeSnapshotter[];
  registry: SnapshotRegistry;
  findMount: (path: string) => Promise<MountInfo>;
  logger: Logger;
}

const MODES: readonly SnapshotMode[] = ['auto', 'btrfs', 'lvm', 'zfs'];

export class FilesystemSnapshotProvider implements SnapshotProvider {
  readonly modes = MODES;

  constructor(private readonly deps: FilesystemSnapshotDeps) {}

  private snapshotter(kind: string): VolumeSnapshotter {
    const s = this.deps.snapshotters.find((x) => x.kind === kind);
    if (!s) throw new InputError(`snapshot mode ${kind} is not available on this agent`);
    return s;
  }

  /** The volume a path lives on under `mode`, or the reason there is none. */
  private async locate(path: string, mode: SnapshotMode): Promise<{ volume: Volume } | { reason: string }> {
    const mount = await this.deps.findMount(path);
    const candidates = mode === 'auto' ? this.deps.snapshotters : [this.snapshotter(mode)];
    for (const s of candidates) {
      const volume = await s.locate(path, mount);
      if (volume) return { volume };
    }
    return { reason: `${path} is on ${mount.fstype} (${mount.source} at ${mount.target}), which ${mode === 'auto' ? 'offers no snapshot this agent can make' : `is not a ${mode} volume`}` };
  }

  async create(req: SnapshotRequest): Promise<SnapshotHandle> {
    const missing: string[] = [];
    for (const p of req.paths) await access(p).catch(() => missing.push(p));
    if (missing.length > 0) throw new BackstopError(ErrorType.sourceMissing, `source path does not exist on the agent: ${missing.join(', ')}`);

    const warnings: string[] = [];
    const volumes = new Map<string, Volume>();
    const volumeOf = new Map<string, string>();
    for (const path of req.paths) {
      const found = await this.locate(path, req.mode);
      if ('reason' in found) {
        if (req.mode !== 'auto') throw new InputError(`snapshot mode ${req.mode}: ${found.reason}`);
        warnings.push(`no filesystem snapshot: ${found.reason}; reading it live`);
        continue;
      }
      const key = `${found.volume.kind}:${found.volume.id}`;
      volumes.set(key, found.volume);
      volumeOf.set(path, key);
    }

    const name = snapshotName(req.runId);
    const planned = [...volumes.values()].map((v) => this.snapshotter(v.kind).describe(v, name));
    if (planned.length === 0) return { mode: req.mode, ref: `${req.mode}:${req.runId}`, readPaths: req.paths, warnings, binds: [], volumes: [], excludes: [] };

    // Recorded before anything is made: a crash from here on leaves a known orphan.
    await this.deps.registry.record({ runId: req.runId, workflowId: req.workflowId, volumes: planned, createdAt: new Date().toISOString() });
    const frozen = new Map<string, FrozenVolume>();
    try {
      for (const [key, volume] of volumes) frozen.set(key, await this.snapshotter(volume.kind).freeze(volume, name));
    } catch (err) {
      await this.releaseAll(planned).catch((e: unknown) => this.deps.logger.error({ err: e, runId: req.runId }, 'releasing a half-made snapshot failed; the agent retries at its next start'));
      throw err;
    }

    const binds: SnapshotBind[] = [];
    for (const path of req.paths) {
      const key = volumeOf.get(path);
      if (!key) continue;
      const f = frozen.get(key)!;
      binds.push({ snapshot: join(f.readRoot, relative(f.root, path)), original: path });
    }
    const excludes = [...frozen.values()].filter((f) => f.kind === 'btrfs').map((f) => join(f.root, BTRFS_SNAPSHOT_DIR));
    this.deps.logger.info({ runId: req.runId, volumes: [...frozen.values()].map((f) => `${f.kind}:${f.id}`) }, 'filesystem snapshots made');
    return { mode: req.mode, ref: `${req.mode}:${req.runId}`, readPaths: req.paths, warnings, binds, volumes: [...frozen.values()], excludes };
  }

  async release(handle: SnapshotHandle): Promise<void> {
    const volumes = handle.volumes ?? [];
    if (volumes.length === 0) return;
    await this.releaseAll(volumes);
    await this.deps.registry.forget(handle.ref.slice(handle.ref.indexOf(':') + 1));
  }

  /** Releases every volume, then reports the first failure (one stuck snapshot must not keep the others). */
  private async releaseAll(volumes: FrozenVolume[]): Promise<void> {
    const failures: unknown[] = [];
    for (const v of volumes) await this.snapshotter(v.kind).release(v).catch((e: unknown) => failures.push(e));
    if (failures.length > 0) throw failures[0];
  }

  /**
   * At agent start: releases the snapshots of runs that have ended. A run still going keeps
   * its snapshot (its backup step resumes on it, and its cleanup releases it). An engine the
   * crashed agent left reading a snapshot holds it mounted: `stopEngine` ends it first.
   */
  async releaseOrphans(isRunActive: (workflowId: string) => Promise<boolean>, stopEngine: (workflowId: string) => Promise<unknown> = async () => null): Promise<number> {
    let released = 0;
    for (const entry of await this.deps.registry.list()) {
      if (await isRunActive(entry.workflowId)) continue;
      try {
        await stopEngine(entry.workflowId);
        await this.releaseAll(entry.volumes);
        await this.deps.registry.forget(entry.runId);
        released++;
        this.deps.logger.warn({ runId: entry.runId, workflowId: entry.workflowId }, 'released snapshot left by an ended run');
      } catch (err) {
        this.deps.logger.error({ err, runId: entry.runId }, 'could not release an orphaned snapshot; trying again at the next start');
      }
    }
    return released;
  }
}
