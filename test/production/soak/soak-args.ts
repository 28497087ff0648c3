// The crash soak's command line (`npm run soak -- --minutes M --kills N [--jobs J] [--seed S]
// [--keep] [--report FILE]`), parsed without side effects so it is tested on its own. The seed
// is always known after parsing (drawn when not given) because a failing soak is replayed
// by passing the seed it printed.

export interface SoakOptions {
  /** How long the chaos loop runs; the load runs as long. */
  minutes: number;
  /** How many kill -9s the chaos loop spreads over those minutes. */
  kills: number;
  /** Backup jobs, spread over the three agents. */
  jobs: number;
  /** Seeds every random choice of the soak (kill moments, targets, delays, manual runs). */
  seed: number;
  /** Keep the topology's directory (logs, repositories, agent state) even when the soak passes. */
  keep: boolean;
  /** Where the JSON report goes; null: a name made from the seed. */
  report: string | null;
}

export const SOAK_USAGE = `usage: npm run soak -- --minutes M --kills N [--jobs J] [--seed S] [--keep] [--report FILE]
  --minutes M   how long the chaos runs (may be fractional, e.g. 0.5)
  --kills N     kill -9s spread over those minutes (at most one every 2 s)
  --jobs J      backup jobs over the three agents (default 6, at most 30)
  --seed S      replay a soak: every random choice follows from it (default: drawn, then printed)
  --keep        keep the topology's directory even when every check passes (a failing soak keeps it)
  --report FILE the JSON report (default /tmp/backstop-soak-<seed>.json)`;

export const DEFAULT_JOBS = 6;
const MAX_JOBS = 30;
/** Kills need time to land and the killed process time to come back: one every 2 s at most. */
const MIN_SECONDS_PER_KILL = 2;

export class SoakArgsError extends Error {
  constructor(message: string) {
    super(`${message}\n${SOAK_USAGE}`);
  }
}

type Flag = 'minutes' | 'kills' | 'jobs' | 'seed' | 'report';
const VALUED: readonly Flag[] = ['minutes', 'kills', 'jobs', 'seed', 'report'];

/** `--name value` and `--name=value` pairs, and the bare flags; anything else is an error. */
function tokenize(argv: readonly string[]): { values: Map<Flag, string>; keep: boolean; help: boolean } {
  const values = new Map<Flag, string>();
  let keep = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--keep') keep = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)) as Flag;
      if (!VALUED.includes(name)) throw new SoakArgsError(`unknown option ${arg}`);
      if (values.has(name)) throw new SoakArgsError(`--${name} given twice`);
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new SoakArgsError(`--${name} needs a value`);
      values.set(name, value);
    } else throw new SoakArgsError(`unexpected argument ${JSON.stringify(arg)}`);
  }
  return { values, keep, help };
}

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new SoakArgsError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The options, or `'help'` when help was asked for. `drawSeed` is called only when no
 * --seed was given (the caller passes something random; tests pass a constant).
 */
export function parseSoakArgs(argv: readonly string[], drawSeed: () => number): SoakOptions | 'help' {
  const { values, keep, help } = tokenize(argv);
  if (help) return 'help';
  const rawMinutes = values.get('minutes');
  const rawKills = values.get('kills');
  if (rawMinutes === undefined) throw new SoakArgsError('--minutes is required');
  if (rawKills === undefined) throw new SoakArgsError('--kills is required');
  const minutes = Number(rawMinutes);
  if (!/^\d+(\.\d+)?$/.test(rawMinutes) || !(minutes > 0) || minutes > 24 * 60) throw new SoakArgsError(`--minutes must be a number above 0 and at most 1440, got ${JSON.stringify(rawMinutes)}`);
  const kills = integer('kills', rawKills, 0, 1_000_000);
  if (kills * MIN_SECONDS_PER_KILL > minutes * 60) {
    throw new SoakArgsError(`${kills} kills in ${minutes} min is more than one every ${MIN_SECONDS_PER_KILL} s: give more minutes or fewer kills`);
  }
  const jobs = values.has('jobs') ? integer('jobs', values.get('jobs')!, 1, MAX_JOBS) : DEFAULT_JOBS;
  const seed = values.has('seed') ? integer('seed', values.get('seed')!, 0, 0xffff_ffff) : drawSeed() >>> 0;
  return { minutes, kills, jobs, seed, keep, report: values.get('report') ?? null };
}

/** The command line that replays a soak exactly (same seed, same sizes). */
export function replayCommand(o: SoakOptions): string {
  return `npm run soak -- --minutes ${o.minutes} --kills ${o.kills} --jobs ${o.jobs} --seed ${o.seed}`;
}
