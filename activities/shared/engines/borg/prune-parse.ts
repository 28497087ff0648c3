// Parsers for `borg prune --list --log-json` and `borg compact -v --log-json` (borg 1.2).
// Pure, tested on captured output in __fixtures__.
import type { PruneOutcome } from '../../../../contract/engine';
import { parseEvent } from './parse';

export type PruneDecision =
  | { kind: 'keep'; name: string; id: string; reasons: string[] }
  | { kind: 'remove'; name: string; id: string };

/** borg's rule names as restic's reasons ("daily snapshot", "last snapshot", "within 30d"). */
export function reasonFor(rule: string, within?: string): string {
  const base = rule.replace(/\[oldest\]$/, '');
  if (base === 'secondly') return 'last snapshot';
  if (base === 'within') return within ? `within ${within}` : 'within';
  return `${base} snapshot${base === rule ? '' : ' (oldest)'}`;
}

// "Keeping archive (rule: daily[oldest] #1): <name>   Thu, 2026-12-03 00:42:40 [<id>]"
const LINE = /^(Keeping archive \(rule: (.+?) #\d+\)|Keeping archive|Would prune|Pruning archive \(\d+\/\d+\)|Would prune archive|Pruning archive):\s+(.*?)\s+\w{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[([0-9a-f]{64})\]\s*$/;

/** One `borg.output.list` message of prune, or null for anything else. */
export function parsePruneMessage(message: string, within?: string): PruneDecision | null {
  const m = LINE.exec(message);
  if (!m) return null;
  const [, action, rule, name, id] = m;
  if (action!.startsWith('Keeping')) return { kind: 'keep', name: name!, id: id!, reasons: rule ? [reasonFor(rule, within)] : [] };
  return { kind: 'remove', name: name!, id: id! };
}

/** Every decision in a prune's stderr (JSON log lines). */
export function parsePruneOutput(stderr: string, within?: string): PruneDecision[] {
  const out: PruneDecision[] = [];
  for (const line of stderr.split('\n')) {
    const e = parseEvent(line);
    if (e.kind !== 'log' || e.name !== 'borg.output.list') continue;
    const d = parsePruneMessage(e.message, within);
    if (d) out.push(d);
  }
  return out;
}

const UNITS: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15 };

/** borg's "6.65 kB" (decimal units, rounded to 3 significant digits) in bytes. */
export function parseSize(text: string): number | null {
  const m = /^(-?\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB|PB)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : null;
}

/**
 * `borg compact -v` says only how much space it freed ("compaction freed about 6.65 kB
 * repository space."), approximately; everything else stays null.
 */
export function parseCompactOutput(stderr: string): PruneOutcome {
  let bytesFreed: number | null = null;
  for (const line of stderr.split('\n')) {
    const e = parseEvent(line);
    const text = e.kind === 'log' ? e.message : e.kind === 'other' ? e.line : '';
    const m = /compaction freed about (.+?) repository space/.exec(text);
    if (m) bytesFreed = parseSize(m[1]!);
  }
  return { blobsRemoved: null, bytesFreed, bytesRemaining: null, bytesUnusedAfter: null };
}
