// The one interface each filesystem's snapshot support implements, and the runner its
// commands share. A volume is what one snapshot freezes: a btrfs subvolume, an LVM logical
// volume, a ZFS dataset.
import { BackstopError, ErrorType } from '../../../contract/errors';
import { runProcess } from '../../shared/process';
import type { MountInfo } from '../../shared/snapshot-commands';
import type { FrozenVolume, Volume, VolumeKind } from '../../../contract/snapshot';

export interface VolumeSnapshotter {
  readonly kind: VolumeKind;
  /** The volume `path` lives on, or null when this kind does not cover it. */
  locate(path: string, mount: MountInfo): Promise<Volume | null>;
  /** What `freeze` returns, without touching anything: how a registry entry is released after a crash. */
  describe(volume: Volume, name: string): FrozenVolume;
  /** Idempotent: a snapshot of this name made by an earlier attempt is adopted. */
  freeze(volume: Volume, name: string): Promise<FrozenVolume>;
  /** Idempotent: releasing what is already gone is fine. */
  release(frozen: FrozenVolume): Promise<void>;
}

/** Runs one snapshot tool; a non-zero exit becomes a SnapshotError with the tool's own words. */
export async function runTool(command: string, args: string[], what: string): Promise<string> {
  const r = await runProcess(command, args, { captureStdout: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new BackstopError(ErrorType.snapshot, `${what}: ${command} is not installed on this agent`);
    throw e;
  });
  if (r.exitCode !== 0) {
    const tail = r.stderrTail.trim().split('\n').slice(-3).join('; ');
    throw new BackstopError(ErrorType.snapshot, `${what}: ${command} exited with code ${r.exitCode}${tail ? `: ${tail}` : ''}`);
  }
  return r.stdout;
}
