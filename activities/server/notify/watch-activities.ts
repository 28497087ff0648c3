// The health watch's look (server task queue): every job's staleness (of its backups and of
// its restore drills) and every agent's reachability now, against what the last look recorded; each change for the worse goes to
// the notifier once. Deliveries are keyed on the episode (the last success, the last
// heartbeat), so a look retried after a crash starts no second delivery.
import type { Client } from '@temporalio/client';
import type { Catalog } from '../../../catalog/catalog';
import type { Logger } from '../../../core/logger';
import { ScheduleKind } from '../../../contract/names';
import type { WatchActivities } from '../../../contract/notification-activities';
import { withFailureMapping } from '../../shared/failure';
import type { RunNotifier } from './notifier';
import { observeAgent, observeDrills, observeJob, scheduleIntervalMs, turnedBad } from './watch';
import { drillSettingsOrDefaults } from '../../../contract/drill';

export interface WatchDeps {
  catalog: Catalog;
  client: Client;
  notifier: RunNotifier;
  logger: Logger;
  /** BACKSTOP_STALE_AFTER_INTERVALS, as GET /v1/jobs uses it. */
  staleAfterIntervals: number;
}

const NO_RUNS = { lastSuccessAt: null, lastFailureAt: null, lastRunStatus: null };
const NO_DRILLS = { lastDrill: null, lastPassAt: null, runningSince: null };

export function createWatchActivities(deps: WatchDeps): WatchActivities {
  const { catalog, client, logger } = deps;

  /** The schedule's next two fire times; none when Temporal does not know it (then the job is not judged stale). */
  async function nextRuns(scheduleId: string): Promise<string[]> {
    try {
      const d = await client.schedule.getHandle(scheduleId).describe();
      return d.info.nextActionTimes.slice(0, 2).map((t) => t.toISOString());
    } catch (err) {
      logger.warn({ err, scheduleId }, 'next fire times unavailable; the job is not judged stale this time');
      return [];
    }
  }

  async function watchHealth(): Promise<{ raised: number }> {
    const now = new Date();
    const previous = await catalog.notifications.watchStates();
    const agents = await catalog.agents.list();
    const jobs = await catalog.jobs.list();
    const summaries = await catalog.jobs.runSummaries(jobs.map((j) => j.id));
    const drills = await catalog.jobs.drillSummaries(jobs.map((j) => j.id));
    const drillSettings = await catalog.jobs.drillSettingsOf(jobs.map((j) => j.id));
    const schedules = (await catalog.schedules.list()).filter((r) => r.kind === ScheduleKind.backup && r.jobId !== null);
    const intervals = new Map(await Promise.all(schedules.map(async (r): Promise<[number, number | null]> => [r.jobId!, scheduleIntervalMs(r.paused, await nextRuns(r.id))])));
    const observations = [
      ...agents.map(observeAgent),
      ...jobs.map((j) => observeJob(j, summaries.get(j.id) ?? NO_RUNS, intervals.get(j.id) ?? null, now, deps.staleAfterIntervals)),
      ...jobs.map((j) => observeDrills(j, drills.get(j.id) ?? NO_DRILLS, drillSettingsOrDefaults(drillSettings.get(j.id)).staleAfterDays, now)),
    ];
    const raised = turnedBad(previous, observations);
    // Deliveries first, memory second: a look that fails in between raises the same episode again (same workflow ids).
    for (const o of raised) await deps.notifier.subjectTurnedBad(o);
    for (const o of observations) await catalog.notifications.setWatchState(o.subject, o.bad, o.since);
    if (raised.length > 0) logger.info({ raised: raised.map((o) => o.subject) }, 'health watch: turned bad');
    return { raised: raised.length };
  }

  return withFailureMapping({ watchHealth });
}
