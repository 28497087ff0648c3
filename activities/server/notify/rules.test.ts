import { channelsFor, ruleMatches, runEndEvent } from './rules';
import type { RuleRecord } from '../../../catalog/notifications';
import { RunKind, RunStatus } from '../../../contract/model';

const at = '2026-12-03T07:00:00.000Z';
const global = (channelId: number, events: RuleRecord['events']): RuleRecord => ({ id: channelId * 10, channelId, events, scope: 'global', createdAt: at });
const ofJob = (channelId: number, jobId: number, events: RuleRecord['events']): RuleRecord => ({ id: channelId * 10 + 1, channelId, events, scope: 'job', jobId, createdAt: at });
const ofRepo = (channelId: number, repositoryId: number, events: RuleRecord['events']): RuleRecord => ({ id: channelId * 10 + 2, channelId, events, scope: 'repository', repositoryId, createdAt: at });

describe('runEndEvent', () => {
  it('maps every kind and status to at most one event', () => {
    for (const kind of Object.values(RunKind)) {
      for (const status of Object.values(RunStatus)) {
        const e = runEndEvent(kind, status);
        if (status === 'succeeded') expect(e).toBe('run.succeeded');
        else if (status === 'warning') expect(e).toBe('run.warning');
        else if (status === 'failed') expect(e).toBe(kind === 'prune' ? 'prune.failed' : kind === 's3-sync' ? 'sync.failed' : kind === 'drill' ? 'drill.failed' : 'run.failed');
        else expect(e).toBeNull();
      }
    }
  });
});

describe('rules', () => {
  const backup = { jobId: 7, repositoryId: 3 };
  const prune = { jobId: null, repositoryId: 3 };

  it('matches global rules on any run, job rules on their job, repository rules on their repository', () => {
    expect(ruleMatches(global(1, ['run.failed']), 'run.failed', backup)).toBe(true);
    expect(ruleMatches(ofJob(1, 7, ['run.failed']), 'run.failed', backup)).toBe(true);
    expect(ruleMatches(ofJob(1, 8, ['run.failed']), 'run.failed', backup)).toBe(false);
    expect(ruleMatches(ofJob(1, 7, ['prune.failed']), 'prune.failed', prune)).toBe(false);
    expect(ruleMatches(ofRepo(1, 3, ['prune.failed']), 'prune.failed', prune)).toBe(true);
    expect(ruleMatches(ofRepo(1, 3, ['run.failed']), 'run.failed', backup)).toBe(true);
    expect(ruleMatches(ofRepo(1, 4, ['run.failed']), 'run.failed', backup)).toBe(false);
  });

  it('never matches an event the rule does not name', () => {
    expect(ruleMatches(global(1, ['run.succeeded']), 'run.failed', backup)).toBe(false);
    expect(ruleMatches(global(1, ['run.failed']), 'test', backup)).toBe(false);
  });

  it('sends to each channel once, however many rules lead there, in id order', () => {
    const rules = [ofJob(5, 7, ['run.failed']), global(5, ['run.failed', 'run.succeeded']), ofRepo(2, 3, ['run.failed']), global(9, ['run.succeeded']), ofJob(4, 99, ['run.failed'])];
    expect(channelsFor(rules, 'run.failed', backup)).toEqual([2, 5]);
    expect(channelsFor(rules, 'run.succeeded', backup)).toEqual([5, 9]);
    expect(channelsFor(rules, 'run.warning', backup)).toEqual([]);
  });
});
