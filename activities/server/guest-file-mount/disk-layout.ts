// A guest disk image's layout as data: what blkid and sfdisk say about it, which parts hold a
// filesystem worth mounting, and the loop/mount command lines that attach them read-only.
// Pure: the runner (guest-file-mount-activities.ts) spawns the commands.
//
// Loop devices with an offset and a size limit per partition, not `losetup --partscan`: the
// partition nodes (`/dev/loopNpM`) need udev or a devtmpfs that makes them, which containers
// often lack; an offset loop needs nothing but the loop driver. (No `qemu-nbd --connect`: the
// nbd module is absent from many kernels, this one's included; no guestmount: its appliance
// needs a kernel image to boot.)

/** `blkid -p -o export` output: KEY=value lines. */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Low-level probe of the image (or of a byte range of it): no cache, no device needed. */
export function blkidArgs(image: string, range: { offset: number; size: number } | null): string[] {
  const args = ['-p', '-o', 'export'];
  if (range) args.push('-O', String(range.offset), '-S', String(range.size));
  return [...args, '--', image];
}

export const sfdiskArgs = (image: string): string[] => ['--json', '--', image];

export interface Partition {
  /** Its number in the table (1-based, as the kernel names it). */
  number: number;
  offset: number;
  size: number;
  /** MBR type code (`83`, `5`) or GPT type GUID, as sfdisk prints it. */
  type: string;
}

export interface PartitionTable {
  label: string;
  partitions: Partition[];
}

export class DiskLayoutError extends Error {
  override name = 'DiskLayoutError';
}

interface SfdiskJson {
  partitiontable?: { label?: string; sectorsize?: number; unit?: string; partitions?: Array<{ node?: string; start?: number; size?: number; type?: string }> };
}

/** `sfdisk --json <image>`: the partitions in bytes. Numbers come from the nodes' names (`disk.img1`, `/dev/loop0p2`). */
export function parseSfdiskJson(text: string): PartitionTable {
  let j: SfdiskJson;
  try {
    j = JSON.parse(text) as SfdiskJson;
  } catch {
    throw new DiskLayoutError('sfdisk did not answer JSON');
  }
  const t = j.partitiontable;
  if (!t) throw new DiskLayoutError('sfdisk found no partition table');
  if (t.unit !== undefined && t.unit !== 'sectors') throw new DiskLayoutError(`sfdisk counts in ${t.unit}, not sectors`);
  const sector = t.sectorsize ?? 512;
  const partitions = (t.partitions ?? []).map((p, i) => {
    const m = /(\d+)$/.exec(p.node ?? '');
    if (!Number.isSafeInteger(p.start) || !Number.isSafeInteger(p.size)) throw new DiskLayoutError(`sfdisk describes partition ${p.node ?? i + 1} without start and size`);
    return { number: m ? Number(m[1]) : i + 1, offset: p.start! * sector, size: p.size! * sector, type: String(p.type ?? '') };
  });
  return { label: t.label ?? 'unknown', partitions };
}

/** An MBR extended partition only holds the logical ones' table (sfdisk lists those too). */
export function isExtendedPartition(p: Pick<Partition, 'type'>): boolean {
  return ['5', 'f', '85'].includes(p.type.toLowerCase());
}

/** What blkid found on a range: a filesystem to mount, or why not. */
export type Probe = { kind: 'filesystem'; fsType: string } | { kind: 'table'; label: string } | { kind: 'other'; what: string } | { kind: 'nothing' };

/** blkid's answer (exit 2 = nothing found, given as null) as a Probe. */
export function probeOf(blkid: Record<string, string> | null): Probe {
  if (!blkid) return { kind: 'nothing' };
  if (blkid.TYPE && blkid.USAGE === 'filesystem') return { kind: 'filesystem', fsType: blkid.TYPE };
  if (blkid.PTTYPE && !blkid.TYPE) return { kind: 'table', label: blkid.PTTYPE };
  // swap, LVM2_member, crypto_LUKS, linux_raid_member …: nothing to mount read-only here.
  if (blkid.TYPE) return { kind: 'other', what: `${blkid.TYPE}${blkid.USAGE ? ` (${blkid.USAGE})` : ''}` };
  return { kind: 'nothing' };
}

export interface FilesystemPlan {
  name: string;
  partition: number | null;
  fsType: string;
  offset: number;
  size: number;
}

/** What was found on a partition, for the reason a disk has nothing to mount. */
export interface PartitionProbe {
  partition: Partition;
  probe: Probe;
}

/**
 * The filesystems to mount: the whole disk's, if it holds one; else each partition's that
 * holds one (extended partitions skipped). Throws the readable reason when there is none.
 */
export function planFilesystems(disk: string, diskSize: number, whole: Probe, partitions: PartitionProbe[] | null): FilesystemPlan[] {
  if (whole.kind === 'filesystem') return [{ name: 'disk', partition: null, fsType: whole.fsType, offset: 0, size: diskSize }];
  const plans: FilesystemPlan[] = [];
  const found: string[] = [];
  for (const { partition: p, probe } of partitions ?? []) {
    if (isExtendedPartition(p)) continue;
    if (probe.kind === 'filesystem') plans.push({ name: `p${p.number}`, partition: p.number, fsType: probe.fsType, offset: p.offset, size: p.size });
    else found.push(`partition ${p.number}: ${probe.kind === 'other' ? probe.what : 'no filesystem'}`);
  }
  if (plans.length > 0) return plans;
  const why =
    whole.kind === 'other'
      ? `it holds ${whole.what}`
      : partitions === null
        ? 'neither a filesystem nor a partition table (unformatted, encrypted or random data?)'
        : partitions.length === 0
          ? `its ${whole.kind === 'table' ? whole.label : ''} partition table is empty`.replace('  ', ' ')
          : found.join('; ');
  throw new DiskLayoutError(`no filesystem found on disk ${disk}: ${why}`);
}

/** Read-only, no devices, no setuid, no exec: files to copy out, nothing to run. */
const BASE_OPTIONS = ['ro', 'nodev', 'nosuid', 'noexec'];

/**
 * Options that keep the kernel from replaying a journal (a crash-consistent image usually has
 * one pending): a read-only mount would otherwise still write to the device, which a
 * read-only loop refuses, and the mount fails.
 */
const NO_REPLAY: Readonly<Record<string, string[]>> = {
  ext3: ['noload'],
  ext4: ['noload'],
  // A clone of a filesystem the host may also have mounted: the same UUID is not a conflict here.
  xfs: ['norecovery', 'nouuid'],
  btrfs: ['rescue=nologreplay'],
};

export function mountOptions(fsType: string): string {
  return [...BASE_OPTIONS, ...(NO_REPLAY[fsType] ?? [])].join(',');
}

export function mountArgs(fsType: string, device: string, target: string): string[] {
  return ['-t', fsType, '-o', mountOptions(fsType), '--', device, target];
}

/** Attaches the image (a range of it) read-only to the next free loop device and prints its name. */
export function losetupAttachArgs(image: string, range: { offset: number; size: number } | null): string[] {
  const args = ['--find', '--show', '--read-only'];
  if (range) args.push('--offset', String(range.offset), '--sizelimit', String(range.size));
  return [...args, '--', image];
}

export const LOSETUP_LIST_ARGS = ['--json', '--list', '--output', 'NAME,BACK-FILE'];

/** `losetup --json --list`: each loop device and the file behind it (` (deleted)` stripped, flagged). */
export function parseLosetupList(text: string): Array<{ device: string; backFile: string; deleted: boolean }> {
  if (text.trim() === '') return [];
  let j: { loopdevices?: Array<{ name?: string; 'back-file'?: string | null }> };
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    throw new DiskLayoutError('losetup did not answer JSON');
  }
  return (j.loopdevices ?? [])
    .filter((d) => d.name && d['back-file'])
    .map((d) => {
      const back = d['back-file']!;
      const deleted = back.endsWith(' (deleted)');
      return { device: d.name!, backFile: deleted ? back.slice(0, -' (deleted)'.length) : back, deleted };
    });
}

/** The loop devices whose backing file lies in `dir` (directly): a mount's, or every one of the scratch directory's. */
export function loopsBackedIn(list: ReturnType<typeof parseLosetupList>, dir: string, file?: string): string[] {
  const prefix = `${dir.replace(/\/+$/, '')}/`;
  return list.filter((l) => (file ? l.backFile === `${prefix}${file}` : l.backFile.startsWith(prefix) && !l.backFile.slice(prefix.length).includes('/'))).map((l) => l.device);
}
