// One scrape: read the catalog (and the job health GET /v1/jobs computes), build the
// families, write them out. Reads run side by side; nothing is cached between scrapes.
import type { ApiContext } from '../context';
import { allJobsWithHealth } from '../job-health-view';
import { BYTES_BOUNDS, DURATION_BOUNDS, metricFamilies } from './families';
import { exposition } from './exposition';

export async function scrapeMetrics(ctx: ApiContext): Promise<string> {
  const m = ctx.catalog.metrics;
  const [jobs, runCounts, durations, addedBytes, awaitingApproval, agents, repositories, notificationFailures] = await Promise.all([
    allJobsWithHealth(ctx),
    m.runCounts(),
    m.runDurations(DURATION_BOUNDS),
    m.runAddedBytes(BYTES_BOUNDS),
    m.awaitingApproval(),
    m.agents(),
    m.repositories(),
    m.notificationFailures(),
  ]);
  return exposition(metricFamilies({ now: new Date(), jobs, runCounts, durations, addedBytes, awaitingApproval, agents, repositories, notificationFailures }));
}
