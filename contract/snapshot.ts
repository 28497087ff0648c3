// A filesystem snapshot as it travels through workflow history: plain data, references and
// paths only. The agent's snapshot providers (activities/agent/snapshot/) make and drop them.
import type { SnapshotMode } from './model';

export type VolumeKind = 'btrfs' | 'lvm' | 'zfs';

export interface Volume {
  kind: VolumeKind;
  /** Subvolume root path, `vg/lv`, or dataset name. */
  id: string;
  /** Where the volume's root is mounted, live: paths are mapped relative to it. */
  root: string;
  fstype: string;
}

/** A snapshot that exists: what reading and releasing it needs. Plain data (it travels in workflow history). */
export interface FrozenVolume extends Volume {
  name: string;
  /** Where the snapshot's root can be read (read-only). */
  readRoot: string;
}

/** A frozen copy of `original`, made visible at `original` for the engine alone. */
export interface SnapshotBind {
  snapshot: string;
  original: string;
}

/** Travels through workflow history: references and paths only. */
export interface SnapshotHandle {
  mode: SnapshotMode;
  /** `<mode>:<runId>`. */
  ref: string;
  /** The paths the engine backs up (and records): always the original ones. */
  readPaths: string[];
  warnings: string[];
  /** Frozen copies shown at the original paths, in the engine's private mount namespace. */
  binds?: SnapshotBind[];
  /** What release() drops. */
  volumes?: FrozenVolume[];
  /** Paths the engine must skip (where snapshots of a btrfs subvolume are kept). */
  excludes?: string[];
}
