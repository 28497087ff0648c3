// Restoring a guest disk straight from the repository: the engine dumps the disk's segment
// directory as a tar stream (restic dump --archive tar), and each segment is written at its
// offset into the target as it arrives — a file (sparse where the disk reads zeros) or a block
// device of at least the disk's size. No scratch copy of the segments; every segment must
// arrive exactly once with its size, or the restore fails rather than leave a hole.
// Both sides run it: the agent's guest restores, and the server worker's guest file mounts
// (a scratch image of one disk to attach read-only).
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import type { BackupEngine, RepositoryAccess, RunControl } from '../../../contract/engine';
import { TarReader, type TarMember } from './tar-reader';
import { segmentCount, segmentLength, segmentPath } from './segments';
import type { GuestManifest } from './guest-manifest';

export class GuestRestoreError extends Error {
  override name = 'GuestRestoreError';
  constructor(
    message: string,
    /** The errno code of a failed write (ENOSPC, EIO), so a caller can tell a full disk from a broken snapshot. */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const isZero = (b: Buffer) => {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
};

/** The index of the segment of `disk` that tar member `path` is, or null for anything else. */
export function segmentIndexOf(path: string, stageRoot: string, disk: string): number | null {
  const prefix = `${posix.normalize(stageRoot).replace(/^\/+|\/+$/g, '')}/`;
  const rel = path.replace(/^\.?\/+/, '');
  if (!rel.startsWith(prefix)) return null;
  const m = /^([^/]+)\/(\d{6})\/(\d{10})$/.exec(rel.slice(prefix.length));
  if (!m || m[1] !== disk) return null;
  const index = Number(m[3]);
  return segmentPath(disk, index) === rel.slice(prefix.length) ? index : null;
}

export interface RestoredDisk {
  bytesWritten: number;
  segments: number;
}

export async function restoreDiskImage(
  engine: Pick<BackupEngine, 'dumpArchive'>,
  repo: RepositoryAccess,
  snapshotId: string,
  manifest: GuestManifest,
  diskName: string,
  target: string,
  control: RunControl & { onWritten?: (bytes: number) => void; onStreamed?: (bytes: number) => void } = {},
): Promise<RestoredDisk> {
  const disk = manifest.disks.find((d) => d.name === diskName);
  if (!disk) throw new GuestRestoreError(`the snapshot has no disk ${diskName} (it has ${manifest.disks.map((d) => d.name).join(', ')})`);
  const count = segmentCount(disk.size, disk.segmentBytes);
  const fd = openSync(target, fstatSafe(target)?.isBlockDevice() ? 'r+' : 'w');
  let bytesWritten = 0;
  const seen = new Set<number>();
  try {
    const isFile = fstatSync(fd).isFile();
    if (isFile) ftruncateSync(fd, disk.size);
    let current: { member: TarMember; index: number } | null = null;
    const reader = new TarReader({
      onMember: (member) => {
        const index = member.type === '0' ? segmentIndexOf(member.path, manifest.stageRoot, diskName) : null;
        current = null;
        if (index === null) return;
        if (index >= count || seen.has(index)) throw new GuestRestoreError(`segment ${index} of disk ${diskName} is not one of its ${count}, or came twice`);
        if (member.size !== segmentLength(index, disk.size, disk.segmentBytes)) throw new GuestRestoreError(`segment ${index} of disk ${diskName} has ${member.size} bytes, not ${segmentLength(index, disk.size, disk.segmentBytes)}`);
        seen.add(index);
        current = { member, index };
      },
      onData: (member, data, offset) => {
        if (!current || current.member !== member) return;
        control.onStreamed?.(data.length);
        // A file target stays sparse where the disk reads zeros; a device gets every byte.
        if (isFile && isZero(data)) return;
        writeSync(fd, data, 0, data.length, current.index * disk.segmentBytes + offset);
        bytesWritten += data.length;
        control.onWritten?.(data.length);
      },
    });
    // A write that fails (ENOSPC, EIO) errors the reader while the dump still streams: stop the
    // dump at once and fail with the write's reason. The reader's outcome is observed from the
    // start, so its failure can never be an unhandled rejection that takes the worker down.
    const stopDump = new AbortController();
    const onOuterAbort = () => stopDump.abort();
    control.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let writeFailure: unknown = null;
    const finished = new Promise<void>((resolve, reject) => {
      reader.on('finish', resolve);
      reader.on('error', (e) => {
        writeFailure ??= e;
        stopDump.abort();
        reject(e);
      });
    });
    finished.catch(() => undefined);
    try {
      await engine.dumpArchive(repo, snapshotId, posix.join(manifest.stageRoot, diskName), reader, { ...control, signal: stopDump.signal });
    } catch (e) {
      if (writeFailure === null) throw e;
    } finally {
      control.signal?.removeEventListener('abort', onOuterAbort);
    }
    if (writeFailure !== null) throw new GuestRestoreError(`writing disk ${diskName} to ${target} failed: ${(writeFailure as Error).message}`, (writeFailure as NodeJS.ErrnoException).code ?? null);
    reader.end();
    await finished;
  } finally {
    closeSync(fd);
  }
  if (seen.size !== count) throw new GuestRestoreError(`the snapshot gave back ${seen.size} of the ${count} segments of disk ${diskName}`);
  return { bytesWritten, segments: seen.size };
}

function fstatSafe(path: string) {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
