// Reading `nbdinfo --map --json`: the extents of an NBD export by what a metadata context
// says of them. For `qemu:dirty-bitmap:<name>` type bit 0 is "dirty" (written since the
// bitmap started recording); for `base:allocation`, bit 0 is "hole" and bit 1 "zero".
import type { Extent } from '../../shared/guest/extents';

export interface MapEntry {
  offset: number;
  length: number;
  type: number;
}

export class NbdMapError extends Error {
  override name = 'NbdMapError';
}

/** The entries of one `nbdinfo --map --json` document, checked to tile [0, size) in order. */
export function parseNbdMap(json: string, size: number): MapEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new NbdMapError('nbdinfo --map printed something that is not JSON');
  }
  if (!Array.isArray(doc)) throw new NbdMapError('nbdinfo --map printed no list of extents');
  const entries: MapEntry[] = [];
  let next = 0;
  for (const e of doc as Array<Record<string, unknown>>) {
    const { offset, length, type } = e ?? {};
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || !Number.isSafeInteger(type) || (length as number) <= 0) {
      throw new NbdMapError(`nbdinfo --map: malformed extent ${JSON.stringify(e)}`);
    }
    // A gap or an overlap would make a wrong backup silently: refuse the map instead.
    if (offset !== next) throw new NbdMapError(`nbdinfo --map: extents do not follow each other at byte ${next} (next starts at ${String(offset)})`);
    entries.push({ offset: offset as number, length: length as number, type: type as number });
    next += length as number;
  }
  if (next !== size) throw new NbdMapError(`nbdinfo --map covers ${next} bytes of a ${size}-byte disk`);
  return entries;
}

/** The extents whose type has `bit` set, neighbours merged. */
export function extentsWith(entries: readonly MapEntry[], bit: number): Extent[] {
  const out: Extent[] = [];
  for (const e of entries) {
    if ((e.type & bit) === 0) continue;
    const last = out[out.length - 1];
    if (last && last.offset + last.length === e.offset) last.length += e.length;
    else out.push({ offset: e.offset, length: e.length });
  }
  return out;
}

/** Dirty extents of a `qemu:dirty-bitmap:` map. */
export const dirtyExtents = (entries: readonly MapEntry[]): Extent[] => extentsWith(entries, 1);

/** Extents that hold data (not reading as zeros) in a `base:allocation` map. */
export function dataExtents(entries: readonly MapEntry[]): Extent[] {
  return extentsWith(
    entries.map((e) => ({ ...e, type: (e.type & 2) === 0 ? 1 : 0 })),
    1,
  );
}
