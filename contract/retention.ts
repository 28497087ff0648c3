// Retention policy of a job: which of its snapshots a prune keeps. restic itself applies
// the policy (`restic forget`); this module only describes and validates it. No Node
// imports: workflows carry policies in their plans.
import { InputError } from './errors';
import type { components } from './generated/api-schema';

/** Which snapshots a prune keeps (restic forget's rules); the API's schema is its definition. */
export type RetentionPolicy = components['schemas']['RetentionPolicy'];

export const RETENTION_COUNTS = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

/**
 * The --keep-* flag of each count: restic, borg and proxmox-backup-client all name them so
 * (borg 1.2 lists keep-last's rule as "secondly").
 */
const COUNT_FLAGS: ReadonlyArray<readonly [(typeof RETENTION_COUNTS)[number], string]> = [
  ['keepLast', '--keep-last'],
  ['keepHourly', '--keep-hourly'],
  ['keepDaily', '--keep-daily'],
  ['keepWeekly', '--keep-weekly'],
  ['keepMonthly', '--keep-monthly'],
  ['keepYearly', '--keep-yearly'],
];

/** The policy's counts as --keep-* flags; 0 means "no rule" to Backstop and is left out. */
export function retentionCountArgs(policy: RetentionPolicy): string[] {
  const args: string[] = [];
  for (const [key, flag] of COUNT_FLAGS) {
    const n = policy[key];
    if (n !== undefined && n > 0) args.push(flag, String(n));
  }
  return args;
}

/** restic's duration syntax, units in this order, at least one of them. */
const DURATION = /^(?=\d)(\d+y)?(\d+m)?(\d+d)?(\d+h)?$/;

export function isRetentionDuration(text: string): boolean {
  return DURATION.test(text);
}

/** True when a duration keeps nothing (every number zero). */
function isZeroDuration(text: string): boolean {
  return (text.match(/\d+/g) ?? []).every((n) => Number(n) === 0);
}

/**
 * Refuses a policy restic would misread or that keeps nothing: restic refuses to forget
 * without a policy, and "remove every snapshot" is never what an operator means.
 */
export function checkRetentionPolicy(policy: RetentionPolicy): RetentionPolicy {
  const errors: Array<{ path: string; message: string }> = [];
  for (const key of RETENTION_COUNTS) {
    const v = policy[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) errors.push({ path: key, message: 'must be a non-negative integer' });
  }
  if (policy.keepWithin !== undefined && !isRetentionDuration(policy.keepWithin)) {
    errors.push({ path: 'keepWithin', message: 'must be a duration like 30d, 12h or 1y2m3d4h' });
  }
  for (const [i, tag] of (policy.keepTags ?? []).entries()) {
    if (tag.trim() === '' || tag.startsWith('-')) errors.push({ path: `keepTags/${i}`, message: 'must be a tag list, not empty and not starting with "-"' });
  }
  if (errors.length > 0) throw new InputError('invalid retention policy', { errors });
  const keepsSomething =
    RETENTION_COUNTS.some((k) => (policy[k] ?? 0) > 0) ||
    (policy.keepWithin !== undefined && !isZeroDuration(policy.keepWithin)) ||
    (policy.keepTags ?? []).length > 0;
  if (!keepsSomething) throw new InputError('a retention policy must keep something: set a keep-* count above 0, keepWithin or keepTags');
  return policy;
}
