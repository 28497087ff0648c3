// Parsers for `restic forget --json` and prune's text report. Pure, tested on output
// captured from restic 0.18.1 (__fixtures__/forget-dry-run.json, prune.txt).
import { BackstopError, ErrorType } from '../../../../contract/errors';
import type { EngineSnapshot, ForgetGroup, PruneOutcome } from '../../../../contract/engine';
import { parseSnapshots } from './parse';

interface RawGroup {
  host?: unknown;
  paths?: unknown;
  tags?: unknown;
  keep?: unknown;
  remove?: unknown;
  reasons?: unknown;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const snapshots = (v: unknown): EngineSnapshot[] => parseSnapshots(JSON.stringify(list(v)));

/**
 * One entry per group restic formed. restic prints nothing at all when no snapshot
 * matched the filter, and `null` (not `[]`) for an empty keep or remove list.
 */
export function parseForget(json: string): ForgetGroup[] {
  const parsed: unknown = JSON.parse(json.trim() === '' ? '[]' : json);
  if (!Array.isArray(parsed)) throw new BackstopError(ErrorType.engine, 'restic forget did not return a list of groups');
  return (parsed as RawGroup[]).map((g) => {
    const reasons = new Map<string, string[]>();
    for (const r of list(g.reasons) as Array<{ snapshot?: { id?: unknown }; matches?: unknown }>) {
      if (r.snapshot?.id !== undefined) reasons.set(String(r.snapshot.id), list(r.matches).map(String));
    }
    return {
      host: typeof g.host === 'string' ? g.host : null,
      paths: list(g.paths).map(String),
      tags: list(g.tags).map(String),
      keep: snapshots(g.keep).map((snapshot) => ({ snapshot, reasons: reasons.get(snapshot.id) ?? [] })),
      remove: snapshots(g.remove),
    };
  });
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** `5.001 MiB` → bytes. restic rounds to three decimals, so large values are approximate. */
export function parseSize(text: string): number | null {
  const m = /^([\d.]+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : null;
}

function reportLine(text: string, label: string): { blobs: number; bytes: number | null } | null {
  const m = new RegExp(`^${label}:\\s+(\\d+) blobs / (.+)$`, 'm').exec(text);
  return m ? { blobs: Number(m[1]), bytes: parseSize(m[2]!) } : null;
}

/** What prune removed and what remains, from its report; nulls where restic said nothing. */
export function parsePruneReport(text: string): PruneOutcome {
  const removed = reportLine(text, 'total prune');
  const remaining = reportLine(text, 'remaining');
  const unused = /^unused size after prune: (.+?) \(/m.exec(text);
  return {
    blobsRemoved: removed?.blobs ?? null,
    bytesFreed: removed?.bytes ?? null,
    bytesRemaining: remaining?.bytes ?? null,
    bytesUnusedAfter: unused ? parseSize(unused[1]!) : null,
  };
}
