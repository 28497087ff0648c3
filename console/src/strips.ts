// The dashboard's per-job strip of recent backups, from one list of runs.
import type { components } from '../../contract/generated/api-schema';

type Run = components['schemas']['Run'];

export const STRIP = 30;

/** A job's backups, newest first, at most STRIP of them, from one list of recent runs. */
export function stripsByJob(runs: Run[]): Map<number, Run[]> {
  const byJob = new Map<number, Run[]>();
  for (const r of runs) {
    if (r.jobId === null || r.kind !== 'backup') continue;
    const list = byJob.get(r.jobId) ?? [];
    if (list.length < STRIP) list.push(r);
    byJob.set(r.jobId, list);
  }
  return byJob;
}
