// Catalog recovery, the rules: which job records to recreate from what the repositories'
// snapshots say about themselves. Every Backstop snapshot carries its job's tag
// (`backstop-job=<id>`) and its run's tag (borg keeps them in the archive comment), and
// records the agent's name as its host and the job's paths as its paths: enough to give
// a lost job back its id, agent, repository and paths. Pure, so the rules are unit-tested.
import type { EngineSnapshot } from '../contract/engine';
import { JOB_TAG_PREFIX, isFilesSnapshot, runTag } from '../contract/names';
import { snapshotOwner } from './snapshots';
import type { GuestSource } from '../contract/guest';

/** One registered repository and the snapshots its engine lists. */
export interface FoundSnapshots {
  repositoryId: number;
  snapshots: EngineSnapshot[];
}

/** A job record to recreate under the id its snapshots' tags name. */
export interface RecoveredJob {
  id: number;
  name: string;
  agentName: string;
  repositoryId: number;
  /** A files job's paths; none for a guest job. */
  paths: string[];
  kind: 'files' | 'guest';
  guest: GuestSource | null;
  /** The snapshot it was recreated from is a guest job's stage: its manifest says what the guest was. */
  guestStage: { snapshotId: string; stageRoot: string } | null;
  /** Said to the operator when the job could not be recreated as it was. */
  note: string | null;
}

/**
 * The stage directory of guest job `jobId` when that is what the snapshot holds: its one path
 * is the agent's `<data>/agents/<agent>/guest/<job>/stage` (activities/agent/guest).
 */
export function guestStageOf(snapshot: Pick<EngineSnapshot, 'paths'>, jobId: number): string | null {
  if (snapshot.paths.length !== 1) return null;
  const m = /\/guest\/(\d+)\/stage$/.exec(snapshot.paths[0]!);
  return m && Number(m[1]) === jobId ? snapshot.paths[0]! : null;
}

export const OWNER_TAGS = { jobPrefix: JOB_TAG_PREFIX, runPrefix: runTag('') };

/** The agent a job is recreated under when its snapshots' host is no valid agent name. */
export const FALLBACK_AGENT = 'recovered';
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const recoveredJobName = (id: number): string => `recovered-job-${id}`;

/**
 * The jobs named by snapshot tags that `existingJobIds` lacks, one each: from its newest
 * files snapshot (a plugin stream's paths are a dump's file name, not the job's paths), else
 * its newest snapshot of any kind. Sorted by id.
 */
export function recoveredJobs(found: readonly FoundSnapshots[], existingJobIds: ReadonlySet<number>, guestSources: ReadonlyMap<string, GuestSource> = new Map()): RecoveredJob[] {
  const best = new Map<number, { repositoryId: number; snapshot: EngineSnapshot; files: boolean }>();
  for (const { repositoryId, snapshots } of found) {
    for (const snapshot of snapshots) {
      const { jobId } = snapshotOwner(snapshot.tags, OWNER_TAGS);
      if (jobId === null || existingJobIds.has(jobId)) continue;
      const files = isFilesSnapshot(snapshot.tags);
      const prev = best.get(jobId);
      const better = !prev || (files && !prev.files) || (files === prev.files && Date.parse(snapshot.time) > Date.parse(prev.snapshot.time));
      if (better) best.set(jobId, { repositoryId, snapshot, files });
    }
  }
  return [...best.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, { repositoryId, snapshot }]): RecoveredJob => {
      const base = { id, name: recoveredJobName(id), agentName: AGENT_NAME.test(snapshot.hostname) ? snapshot.hostname : FALLBACK_AGENT, repositoryId };
      const stageRoot = guestStageOf(snapshot, id);
      const guestStage = stageRoot ? { snapshotId: snapshot.id, stageRoot } : null;
      const guest = guestSources.get(snapshot.id);
      if (guestStage && guest) return { ...base, paths: [], kind: 'guest', guest, guestStage, note: null };
      const note = guestStage ? `its newest snapshot ${snapshot.id.slice(0, 8)} is a guest backup whose manifest does not record the guest (made before Backstop recorded it): recreated as a files job of its stage; create the guest job again to go on backing it up` : null;
      return { ...base, paths: snapshot.paths.length > 0 ? snapshot.paths : ['/'], kind: 'files', guest: null, guestStage, note };
    });
}
