// Which events a run's end raises, and which channels a set of rules sends an event to.
// Pure: the notifier reads the rules from the catalog and hands them here.
import type { RunKind, RunStatus } from '../../../contract/model';
import type { NotificationEvent } from '../../../contract/notifications';
import type { RuleRecord } from '../../../catalog/notifications';

/**
 * The event a finished run raises. A failed prune, S3 sync or restore drill raises its own
 * event (whoever watches them subscribes to that); every other failed run raises run.failed.
 * A cancelled run raises nothing: someone chose it.
 */
export function runEndEvent(kind: RunKind, status: RunStatus): NotificationEvent | null {
  switch (status) {
    case 'succeeded':
      return 'run.succeeded';
    case 'warning':
      return 'run.warning';
    case 'failed':
      return kind === 'prune' ? 'prune.failed' : kind === 's3-sync' ? 'sync.failed' : kind === 'drill' ? 'drill.failed' : 'run.failed';
    default:
      return null;
  }
}

/** What a run is, for scoped rules: its job and its repository (either may be absent). */
export interface RuleSubject {
  jobId: number | null;
  repositoryId: number | null;
}

/** Whether one rule covers `event` of this subject. */
export function ruleMatches(rule: RuleRecord, event: NotificationEvent, on: RuleSubject): boolean {
  if (!(rule.events as readonly NotificationEvent[]).includes(event)) return false;
  switch (rule.scope) {
    case 'global':
      return true;
    case 'job':
      return on.jobId !== null && rule.jobId === on.jobId;
    case 'repository':
      return on.repositoryId !== null && rule.repositoryId === on.repositoryId;
  }
}

/**
 * The channels `event` of this subject goes to, each once however many rules lead to it
 * (a global rule and a job rule on the same channel make one message), in id order.
 */
export function channelsFor(rules: readonly RuleRecord[], event: NotificationEvent, on: RuleSubject): number[] {
  const ids = new Set(rules.filter((r) => ruleMatches(r, event, on)).map((r) => r.channelId));
  return [...ids].sort((a, b) => a - b);
}
