// restic command lines for retention and pruning, as data. Policies become restic's own
// --keep-* flags: restic is the policy engine, Backstop only chooses the snapshots it sees.
import { retentionCountArgs, type RetentionPolicy } from '../../../../contract/retention';
import type { ForgetRequest } from '../../../../contract/engine';

export function policyArgs(policy: RetentionPolicy): string[] {
  const args = retentionCountArgs(policy);
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
