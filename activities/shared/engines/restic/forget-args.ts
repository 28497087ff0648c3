// restic command lines for retention and pruning, as data. Policies become restic's own
// --keep-* flags: restic is the policy engine, Backstop only chooses the snapshots it sees.
import type { RetentionPolicy } from '../../../../contract/retention';
import type { ForgetRequest } from '../../../../contract/engine';

const COUNT_FLAGS = [
  ['keepLast', '--keep-last'],
  ['keepHourly', '--keep-hourly'],
  ['keepDaily', '--keep-daily'],
  ['keepWeekly', '--keep-weekly'],
  ['keepMonthly', '--keep-monthly'],
  ['keepYearly', '--keep-yearly'],
] as const satisfies ReadonlyArray<readonly [keyof RetentionPolicy, string]>;

export function policyArgs(policy: RetentionPolicy): string[] {
  const args: string[] = [];
  for (const [key, flag] of COUNT_FLAGS) {
    const n = policy[key];
    // 0 means "no rule" to Backstop; restic would read it the same way, but shorter argv
    // reads better in a process list.
    if (n !== undefined && n > 0) args.push(flag, String(n));
  }
  if (policy.keepWithin !== undefined) args.push('--keep-within', policy.keepWithin);
  for (const tags of policy.keepTags ?? []) args.push('--keep-tag', tags);
  return args;
}

/**
 * `restic forget --json`: the snapshots carrying every tag in `tags`, grouped by host and
 * paths so each machine and path set keeps its own history.
 * `noLock` only with `dryRun`: restic honours --no-lock for a dry run alone, which lets a
 * preview run while a backup holds the repository.
 */
export function forgetArgs(req: ForgetRequest): string[] {
  const args = ['forget', '--json', '--group-by', req.groupBy ?? 'host,paths'];
  if (req.dryRun) args.push('--dry-run');
  if (req.dryRun && req.noLock) args.push('--no-lock');
  for (const tag of req.tags) args.push('--tag', tag);
  args.push(...policyArgs(req.policy));
  return args;
}

/** Forgets exactly these snapshots, whatever a policy would say. */
export function forgetIdsArgs(ids: string[]): string[] {
  return ['forget', '--', ...ids];
}

/** restic 0.18 prints prune's report as text only; --json would change nothing. */
export const pruneArgs = (): string[] => ['prune'];
