// `nbdinfo --map` (libnbd) on one of the view's exports: the extents a metadata context
// describes. QEMU's exports offer `base:allocation` (holes and zeros) and, for an exported
// bitmap, `qemu:dirty-bitmap:<name>`.
import { runProcess } from '../../shared/process';
import { NbdMapError, parseNbdMap, type MapEntry } from './nbd-map';
import type { NbdAddress } from './nbd-client';

/** The NBD URI of an export on a UNIX socket. */
export function nbdUri(a: NbdAddress): string {
  return `nbd+unix:///${encodeURIComponent(a.exportName)}?socket=${encodeURI(a.socketPath)}`;
}

export function nbdinfoMapArgs(a: NbdAddress, context: string): string[] {
  return [`--map=${context}`, '--json', nbdUri(a)];
}

export async function readNbdMap(a: NbdAddress, context: string, size: number, opts: { signal?: AbortSignal } = {}): Promise<MapEntry[]> {
  const r = await runProcess('nbdinfo', nbdinfoMapArgs(a, context), { captureStdout: true, signal: opts.signal });
  if (r.exitCode !== 0) throw new NbdMapError(`nbdinfo --map=${context} failed: ${r.stderrTail.trim() || `exit ${r.exitCode ?? r.signal}`}`);
  return parseNbdMap(r.stdout, size);
}
