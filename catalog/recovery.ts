// Catalog recovery, the writes: recreated jobs (under the ids their snapshots' tags name)
// and every snapshot the repositories list, in one transaction. Idempotent: a job or
// snapshot already in the catalog is left as it is, so a second run adds nothing.
import type { CatalogScope } from './catalog';
import { affected, jsonParam } from './rows';
import { OWNER_TAGS, recoveredJobs, type FoundSnapshots, type RecoveredJob } from './recovery-plan';
import { snapshotOwner } from './snapshots';
import type { GuestSource } from '../contract/guest';
import { ScheduleKind, scheduleIdFor } from '../contract/names';
import { defaultDrillSchedule } from '../core/drill';
import { normalizeSchedule } from '../core/schedule';

export interface RecoveryReport {
  jobsCreated: RecoveredJob[];
  /** Agent rows made for recreated jobs (they register themselves properly when they start). */
  agentsCreated: string[];
  /** Per repository: snapshots the engine listed and those added to the catalog. */
  repositories: Array<{ repositoryId: number; listed: number; added: number }>;
}

export async function writeRecovery(catalog: CatalogScope, found: readonly FoundSnapshots[], guestSources: ReadonlyMap<string, GuestSource> = new Map()): Promise<RecoveryReport> {
  return catalog.transaction(async (tx) => {
    const q = tx.db;
    const { rows: existing } = await q.query<{ id: string }>('SELECT id FROM jobs');
    const jobs = recoveredJobs(found, new Set(existing.map((r) => Number(r.id))), guestSources);
    const agentsCreated: string[] = [];
    for (const job of jobs) {
      const made = await q.query('INSERT INTO agents (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [job.agentName]);
      if (affected(made) > 0) agentsCreated.push(job.agentName);
      // The job's old id, so its tags, retention groups and future backups line up again.
      await q.query(
        `INSERT INTO jobs (id, name, agent_id, repository_id, paths, kind, guest) VALUES ($1, $2, (SELECT id FROM agents WHERE name = $3), $4, $5, $6, $7)`,
        [job.id, job.name, job.agentName, job.repositoryId, job.paths, job.kind, jsonParam(job.guest)],
      );
      // Every job drills, recreated ones too: the default drill schedule's row (the API's
      // start-up reconcile makes its Temporal Schedule); a drill proves the rebuild too.
      await tx.schedules.upsert({ id: scheduleIdFor(ScheduleKind.drill, job.id), kind: ScheduleKind.drill, jobId: job.id, repositoryId: null, definition: normalizeSchedule(defaultDrillSchedule(job.id)) });
    }
    // Ids given explicitly do not move the sequence: the next job created must not collide.
    if (jobs.length > 0) await q.query(`SELECT setval(pg_get_serial_sequence('jobs', 'id'), (SELECT max(id) FROM jobs))`);
    const repositories: RecoveryReport['repositories'] = [];
    for (const { repositoryId, snapshots } of found) {
      let added = 0;
      for (const s of snapshots) {
        const owner = snapshotOwner(s.tags, OWNER_TAGS);
        // A job id that now belongs to a job of another repository is not this snapshot's job.
        const r = await q.query(
          `INSERT INTO snapshots (id, repository_id, job_id, run_id, time, hostname, paths, tags)
           VALUES ($1, $2, (SELECT id FROM jobs WHERE id = $3 AND repository_id = $2), (SELECT id FROM runs WHERE workflow_id = $4), $5, $6, $7, $8)
           ON CONFLICT (repository_id, id) DO NOTHING`,
          [s.id, repositoryId, owner.jobId, owner.runWorkflowId, s.time, s.hostname, s.paths, s.tags],
        );
        added += affected(r);
      }
      repositories.push({ repositoryId, listed: snapshots.length, added });
    }
    return { jobsCreated: jobs, agentsCreated, repositories };
  });
}
