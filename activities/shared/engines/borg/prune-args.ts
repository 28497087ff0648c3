// borg command lines for retention, as data. Policies become borg's own --keep-* flags: borg
// is the policy engine, Backstop only chooses the archives it sees (one group at a time).
import type { RetentionPolicy } from '../../../../contract/retention';
import { UnsupportedByEngineError } from '../../../../contract/errors';
import { commonFlags, repoLocation } from './args';

const COUNT_FLAGS = [
  // borg 1.2 names this rule "secondly" in its listing; the flag is --keep-last.
  ['keepLast', '--keep-last'],
  ['keepHourly', '--keep-hourly'],
  ['keepDaily', '--keep-daily'],
  ['keepWeekly', '--keep-weekly'],
  ['keepMonthly', '--keep-monthly'],
  ['keepYearly', '--keep-yearly'],
] as const satisfies ReadonlyArray<readonly [keyof RetentionPolicy, string]>;

/** restic's duration units as borg's --keep-within units (borg takes one number and one unit). */
const WITHIN_UNITS: Record<string, string> = { h: 'H', d: 'd', m: 'm', y: 'y' };

/** restic's keepWithin (`30d`, `12h`) as borg's (`30d`, `12H`); combined units (`1y2m`) are refused. */
export function keepWithinArg(duration: string): string {
  const m = /^(\d+)([hdmy])$/.exec(duration);
  if (!m) throw new UnsupportedByEngineError('borg', `keep within '${duration}'`, 'borg --keep-within takes one number and one unit (h, d, m or y), not a combination');
  return `${m[1]}${WITHIN_UNITS[m[2]!]}`;
}

export function policyArgs(policy: RetentionPolicy): string[] {
  if ((policy.keepTags ?? []).length > 0) throw new UnsupportedByEngineError('borg', 'keep snapshots by tag', 'borg archives have no tags');
  const args: string[] = [];
  for (const [key, flag] of COUNT_FLAGS) {
    const n = policy[key];
    // 0 means "no rule" to Backstop.
    if (n !== undefined && n > 0) args.push(flag, String(n));
  }
  if (policy.keepWithin !== undefined) args.push('--keep-within', keepWithinArg(policy.keepWithin));
  return args;
}

/**
 * `borg prune` of one group (see names.ts groupGlob): --glob-archives makes borg consider
 * only that group's archives, as restic's group-by does. --list prints one
 * `borg.output.list` log line per archive (kept, would prune, pruning). A dry run still
 * takes the repository lock: borg has no lock-free prune.
 */
export function pruneArgs(url: string, glob: string, policy: RetentionPolicy, dryRun: boolean): string[] {
  const args = ['prune', ...commonFlags(), '--list'];
  if (dryRun) args.push('--dry-run');
  args.push('--glob-archives', glob, ...policyArgs(policy), repoLocation(url));
  return args;
}
