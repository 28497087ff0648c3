// Restore drills (issue 17): what a job's drill is asked to do (its settings), what it
// found (its evidence, the run's `details`) and the verdict on that evidence. Pure and free
// of Node: the drill workflow judges its own evidence with these rules, the API validates
// settings with them.
//
// A drill proves three things of a job's latest snapshot, each independently of the live
// source (which may have changed since):
//  - integrity: the engine's own check, with a bounded read of the stored data;
//  - files: a sample restored into a scratch directory and compared, file by file, with
//    what the snapshot records (its size, and the bytes the engine reads back for it);
//  - databases: each dump restored into a scratch database and probed (tables and rows).
import { InputError } from './errors';
import type { EngineKind } from './engine';

export interface DrillSettings {
  /** Files in the sample at most (the largest and the newest included). */
  sampleFiles: number;
  /** Bytes the random part of the sample may add; the largest and newest files are picked whatever their size. */
  sampleBytes: number;
  /** The newest files (by modification time) are always in the sample. */
  newestFiles: number;
  /** restic: the share of data packs `check --read-data-subset` reads, a random subset each time (0: structure only). */
  readDataPercent: number;
  /** borg: the newest archives whose data `check --verify-data --last N` reads. */
  verifyArchives: number;
  /** The job is drillStale when its last passing drill finished longer ago than this. */
  staleAfterDays: number;
  /** The agent that restores the sample; null: the job's own. */
  agent: string | null;
  /** Plugin configuration id (as a string) → a read-only query run in the restored scratch database; its output is recorded. */
  probes: Record<string, string>;
}

const MIB = 1024 * 1024;

export const DRILL_DEFAULTS: Readonly<DrillSettings> = Object.freeze({
  sampleFiles: 20,
  sampleBytes: 256 * MIB,
  newestFiles: 3,
  readDataPercent: 5,
  verifyArchives: 1,
  staleAfterDays: 7,
  agent: null,
  probes: {},
});

/** Bounds of each number, checked by normalizeDrillSettings and stated in the spec. */
export const DRILL_LIMITS = {
  sampleFiles: [1, 1000],
  sampleBytes: [0, 1024 ** 4],
  newestFiles: [0, 100],
  readDataPercent: [0, 100],
  verifyArchives: [1, 1000],
  staleAfterDays: [1, 366],
} as const satisfies Partial<Record<keyof DrillSettings, readonly [number, number]>>;

const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MAX_PROBES = 50;
const MAX_PROBE_CHARS = 8192;

/**
 * The settings a job's drill runs with: `stored` (what was set, possibly partial) over the
 * defaults. Throws InputError naming every problem, so bad settings are never stored.
 */
export function normalizeDrillSettings(stored: Partial<DrillSettings> | null | undefined): DrillSettings {
  const s = { ...DRILL_DEFAULTS, ...(stored ?? {}) };
  const problems: string[] = [];
  for (const [key, [min, max]] of Object.entries(DRILL_LIMITS) as Array<[keyof typeof DRILL_LIMITS, readonly [number, number]]>) {
    const v = s[key];
    // Percent takes one decimal (restic reads `2.5%`); the others are whole numbers.
    const ok = typeof v === 'number' && Number.isFinite(v) && (key === 'readDataPercent' ? Math.round(v * 10) === v * 10 : Number.isInteger(v));
    if (!ok || v < min || v > max) problems.push(`${key} must be ${key === 'readDataPercent' ? 'a number with at most one decimal' : 'an integer'} from ${min} to ${max}`);
  }
  if (s.agent !== null && (typeof s.agent !== 'string' || !AGENT_NAME.test(s.agent))) problems.push('agent must be an agent name or null (the job\'s own)');
  const probes = s.probes ?? {};
  if (typeof probes !== 'object' || Array.isArray(probes)) problems.push('probes must map plugin configuration ids to queries');
  else {
    const entries = Object.entries(probes);
    if (entries.length > MAX_PROBES) problems.push(`at most ${MAX_PROBES} probes`);
    for (const [id, query] of entries) {
      if (!/^[1-9]\d{0,14}$/.test(id)) problems.push(`probe key "${id}" must be a plugin configuration id`);
      if (typeof query !== 'string' || query.trim() === '' || query.length > MAX_PROBE_CHARS || query.includes('\0')) problems.push(`probe of configuration ${id} must be a query of 1 to ${MAX_PROBE_CHARS} characters`);
    }
  }
  if (problems.length > 0) throw new InputError(`invalid drill settings: ${problems.join('; ')}`, { problems });
  return { ...s, probes: { ...probes } };
}

/**
 * The settings of a stored row, which was validated when it was set: should it hold something
 * the rules refuse now (bounds changed since), the defaults judge rather than a failed read.
 */
export function drillSettingsOrDefaults(stored: Partial<DrillSettings> | null | undefined): DrillSettings {
  try {
    return normalizeDrillSettings(stored);
  } catch {
    return normalizeDrillSettings(null);
  }
}

// --- evidence ------------------------------------------------------------------------------

/** The engine's check with its bounded read of the stored data. */
export interface DrillIntegrity {
  engine: EngineKind;
  /** What was checked, as the command said it: `restic check --read-data-subset=5%`. */
  scope: string;
  passed: boolean;
  /** What the engine found, in its words; null when it passed. */
  problems: string | null;
  durationSeconds: number;
}

/** Why a file is in the sample. */
export type SamplePick = 'largest' | 'newest' | 'random';

export interface DrillFileCheck {
  path: string;
  /** The size the snapshot records. */
  size: number;
  picked: SamplePick;
  /** sha256 of the restored file (null when there was none to read). */
  sha256: string | null;
  /** Null when the file came back intact; else what was wrong, in words. */
  mismatch: string | null;
}

export interface DrillFiles {
  /** Where the sample was restored: an agent's name, or `server` (a pull job's agent never holds the password). */
  restoredOn: string;
  /** The sample's seed: the same seed over the same snapshot picks the same files. */
  seed: string;
  /** Regular files in the snapshot (the population the sample is drawn from). */
  candidates: number;
  filesChecked: number;
  bytesChecked: number;
  mismatches: Array<{ path: string; reason: string }>;
  /** Why the snapshot's files could not be listed (a lost tree, say): nothing was sampled. */
  listError: string | null;
  /** The restore's own error, if it reported one (each file is still checked on its own). */
  restoreError: string | null;
  files: DrillFileCheck[];
  durationSeconds: number;
}

/** One database dump of the snapshot, restored into a scratch database and probed. */
export interface DrillDatabase {
  configId: number;
  /** The plugin of the configuration (pg_dump, mysql_dump); null when it could not be loaded. */
  plugin: string | null;
  /** The dump's path in the snapshot, and the snapshot that holds it (a stream's own). */
  path: string;
  snapshotId: string;
  scratchDatabase: string;
  status: 'passed' | 'failed' | 'skipped';
  tables: Array<{ name: string; rows: number }>;
  probe: { query: string; output: string[] } | null;
  /** Why it failed or was skipped, in words. */
  error: string | null;
  durationSeconds: number;
}

/** A drill run's `details`. */
export interface DrillEvidence {
  /** The files snapshot drilled: the job's latest; null when it has none yet. */
  snapshot: { id: string; time: string; paths: string[] } | null;
  integrity: DrillIntegrity | null;
  files: DrillFiles | null;
  databases: DrillDatabase[];
  durationSeconds: number | null;
}

export const NO_EVIDENCE: DrillEvidence = Object.freeze({ snapshot: null, integrity: null, files: null, databases: [], durationSeconds: null }) as DrillEvidence;

/** Mismatches named in a failure reason; the evidence lists all of them. */
const NAMED = 3;

function andMore(total: number): string {
  return total > NAMED ? ` (and ${total - NAMED} more)` : '';
}

/**
 * The run's outcome from its evidence: failed when the check found damage, a sampled file did
 * not come back intact, or a dump did not restore; the reason says each in words. A drill with
 * nothing to drill (no snapshot yet) fails too: it proved nothing.
 */
export function drillVerdict(e: DrillEvidence): { status: 'succeeded' | 'failed'; reason: string | null } {
  if (!e.snapshot) return { status: 'failed', reason: 'restore drill failed: the job has no snapshot to drill yet' };
  const parts: string[] = [];
  if (e.integrity && !e.integrity.passed) parts.push(`repository check: ${e.integrity.problems ?? 'damaged'}`);
  if (e.files?.listError) parts.push(`the snapshot's files cannot be listed: ${e.files.listError}`);
  if (e.files && e.files.mismatches.length > 0) {
    const m = e.files.mismatches;
    const named = m.slice(0, NAMED).map((x) => `${x.path} (${x.reason})`).join('; ');
    parts.push(`${m.length} of ${e.files.filesChecked} sampled files did not come back intact: ${named}${andMore(m.length)}`);
  }
  const failedDbs = e.databases.filter((d) => d.status === 'failed');
  if (failedDbs.length > 0) {
    const named = failedDbs.slice(0, NAMED).map((d) => `${d.path} (${d.error ?? 'failed'})`).join('; ');
    parts.push(`${failedDbs.length} of ${e.databases.length} database dumps did not restore: ${named}${andMore(failedDbs.length)}`);
  }
  return parts.length === 0 ? { status: 'succeeded', reason: null } : { status: 'failed', reason: `restore drill failed: ${parts.join('; ')}` };
}

/**
 * The scratch database of a run's `index`th dump: `backstop_drill_<run id's first 8 hex>_<index>`,
 * a plain identifier (the database plugins accept no other), unique to the run, so a retried
 * attempt finds and replaces its own and never touches anything else.
 */
export function drillScratchDatabase(runId: string, index: number): string {
  const short = runId.replace(/[^0-9a-f]/gi, '').slice(0, 8).toLowerCase() || 'run';
  return `backstop_drill_${short}_${index}`;
}
