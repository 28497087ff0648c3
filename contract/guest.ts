// Guest jobs (issue 19): what a job whose source is a VM guest names, as the API stores it and
// the guest backup workflow and the agent's guest activities receive it. Workflows import
// this module: no Node APIs here.
import type { components } from './generated/api-schema';
import { InputError } from './errors';
import { checkContainerSource, type ContainerSource } from './container';

/** Where a guest's disks and configuration are on the agent's host (openapi GuestSource). */
export type GuestSource = components['schemas']['GuestSource'];
export type GuestDiskSource = components['schemas']['GuestDiskSource'];

export const JobKind = {
  /** The job's paths on its agent. */
  files: 'files',
  /** A VM guest on the agent's host, through QEMU. */
  guest: 'guest',
  /** A system container's root filesystem and configuration (contract/container.ts), through the files pipeline. */
  container: 'container',
} as const;
export type JobKind = (typeof JobKind)[keyof typeof JobKind];

/** Segment size of a job that names none: 4 MiB (activities/shared/guest/segments.ts DEFAULT_SEGMENT_BYTES). */
export const DEFAULT_GUEST_SEGMENT_BYTES = 4 * 1024 * 1024;

const fieldError = (path: string, message: string) => new InputError(`${path.replace(/^\//, '').replace(/\//g, '.')}: ${message}`, { errors: [{ path, message }] });

/** What a new job names as its source, before it is stored. */
export interface JobSourceInput {
  kind?: JobKind;
  paths?: string[];
  guest?: GuestSource;
  container?: ContainerSource;
  excludes?: string[];
  snapshotMode?: string;
  mode?: string;
  preScript?: string;
}

/**
 * Refuses a source the schema lets through but a job cannot have: a files job without paths
 * or with a guest, a guest job with paths or file-only settings, duplicate disks, a segment
 * size that is not a power of two. Each error names its field (problem+json `errors[].path`).
 */
export function checkJobSource(b: JobSourceInput): void {
  const kind = b.kind ?? JobKind.files;
  if (kind === JobKind.files) {
    if (b.guest !== undefined) throw fieldError('/guest', 'only a job of kind guest takes a guest');
    if (b.container !== undefined) throw fieldError('/container', 'only a job of kind container takes a container');
    if (!b.paths || b.paths.length === 0) throw fieldError('/paths', 'a files job needs at least one path');
    return;
  }
  if (kind === JobKind.container) {
    if (b.guest !== undefined) throw fieldError('/guest', 'only a job of kind guest takes a guest');
    if (!b.container) throw fieldError('/container', 'a container job needs its container: runtime and name');
    if (b.paths !== undefined) throw fieldError('/paths', 'a container job takes no paths: its agent finds its root filesystem and configuration');
    if (b.excludes !== undefined) throw fieldError('/excludes', 'a container job takes no excludes: its whole root filesystem is stored');
    if (b.mode !== undefined && b.mode !== 'push') throw fieldError('/mode', 'a container job runs in push mode only');
    checkContainerSource(b.container);
    return;
  }
  if (b.container !== undefined) throw fieldError('/container', 'only a job of kind container takes a container');
  if (!b.guest) throw fieldError('/guest', 'a guest job needs its guest: qmpSocket and disks');
  if (b.paths !== undefined) throw fieldError('/paths', 'a guest job takes no paths: its source is its guest');
  if (b.excludes !== undefined) throw fieldError('/excludes', 'a guest job takes no excludes');
  if (b.snapshotMode !== undefined && b.snapshotMode !== 'none') throw fieldError('/snapshotMode', 'a guest job freezes its disks through QEMU; it takes no filesystem snapshot mode');
  if (b.mode !== undefined && b.mode !== 'push') throw fieldError('/mode', 'a guest job runs in push mode only');
  if (b.preScript !== undefined) throw fieldError('/preScript', 'a guest job takes no pre script yet (a post hook runs on its agent)');
  checkGuestSource(b.guest);
}

/**
 * Refuses an edit (PATCH /v1/jobs/{id}) of a guest job that sets a files job's field: its
 * name, agent and post hook change as any job's; its guest is not edited yet.
 */
export function checkGuestJobUpdate(b: { paths?: readonly string[]; excludes?: readonly string[]; snapshotMode?: string; mode?: string; preScript?: string | null }): void {
  if (b.paths !== undefined) throw fieldError('/paths', 'a guest job takes no paths: its source is its guest');
  if (b.excludes !== undefined) throw fieldError('/excludes', 'a guest job takes no excludes');
  if (b.snapshotMode !== undefined && b.snapshotMode !== 'none') throw fieldError('/snapshotMode', 'a guest job freezes its disks through QEMU; it takes no filesystem snapshot mode');
  if (b.mode !== undefined && b.mode !== 'push') throw fieldError('/mode', 'a guest job runs in push mode only');
  if (typeof b.preScript === 'string') throw fieldError('/preScript', 'a guest job takes no pre script yet (a post hook runs on its agent)');
}

export function checkGuestSource(g: GuestSource): void {
  const seenNames = new Set<string>();
  const seenNodes = new Set<string>();
  g.disks.forEach((d, i) => {
    if (seenNames.has(d.name)) throw fieldError(`/guest/disks/${i}/name`, `disk name "${d.name}" is listed twice`);
    if (seenNodes.has(d.node)) throw fieldError(`/guest/disks/${i}/node`, `block node "${d.node}" is listed twice`);
    seenNames.add(d.name);
    seenNodes.add(d.node);
  });
  const seg = g.segmentBytes;
  if (seg !== undefined && (seg & (seg - 1)) !== 0) throw fieldError('/guest/segmentBytes', `${seg} is not a power of two`);
  const configNames = new Set<string>();
  (g.configFiles ?? []).forEach((f, i) => {
    // Stored flat under config/ by their base names: two with one name would overwrite each other.
    const base = f.slice(f.lastIndexOf('/') + 1);
    if (!base || base === '.' || base === '..') throw fieldError(`/guest/configFiles/${i}`, `"${f}" does not name a file`);
    if (configNames.has(base)) throw fieldError(`/guest/configFiles/${i}`, `another configuration file is also named "${base}"`);
    configNames.add(base);
  });
}

// --- the manifest a guest snapshot carries (activities/shared/guest/guest-manifest.ts) --------

/**
 * How a disk's dirty bitmap served a backup: `new` (first backup of the disk, a full read
 * that starts a bitmap), `reuse` (only the extents the bitmap marks read), `none` (a full
 * read: the bitmap was missing, inconsistent or did not match the parent, said why).
 */
export type BitmapMode = 'new' | 'reuse' | 'none';

/** Segments `first … first+count-1` carry mtime `mtime` (whole seconds since the epoch). */
export type MtimeRun = [first: number, count: number, mtime: number];

export interface ManifestDisk {
  name: string;
  size: number;
  segmentBytes: number;
  mode: BitmapMode;
  reason: string | null;
  /** Bytes this backup read from the disk (its dirty or allocated extents). */
  bytesRead: number;
  mtimes: MtimeRun[];
}

export interface ManifestConfigFile {
  /** Relative to the stage's `config/` directory. */
  path: string;
  size: number;
  mtime: number;
}

export interface GuestManifest {
  version: 1;
  jobId: number;
  runId: string;
  frozenAt: string;
  /** The absolute directory the snapshot records the stage under. */
  stageRoot: string;
  disks: ManifestDisk[];
  config: ManifestConfigFile[];
  /** The job's guest as this run read it: a catalog rebuilt from the repository recreates the job from it. Absent in snapshots made before it was recorded. */
  source?: GuestSource;
}

// --- restores ------------------------------------------------------------------------------

/** How restores wait for an operator (BACKSTOP_RESTORE_APPROVAL), as core/config.ts reads it. */
export type GuestRestoreApprovalMode = 'destructive' | 'always' | 'never';

/**
 * Whether a guest restore waits for approval once its agent has said what the target is:
 * asked for, or every restore (`always`), or one that writes over what is there — a block
 * device — under `destructive` (the default). A new file or directory overwrites nothing.
 */
export function guestRestoreNeedsApproval(mode: GuestRestoreApprovalMode, requested: boolean, targetKind: 'image-file' | 'block-device' | 'directory'): boolean {
  if (requested || mode === 'always') return true;
  return mode === 'destructive' && targetKind === 'block-device';
}
