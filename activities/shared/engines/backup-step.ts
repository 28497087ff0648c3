// What every engine backup step does around the engine run, push (agent) or pull (server
// worker): one snapshot per run, however many attempts it takes.
import { JOB_TAG_PREFIX, isFilesSnapshot, runTag } from '../../../contract/names';
import type { BackupEngine, EngineSnapshot, RepositoryAccess } from '../../../contract/engine';
import type { Logger } from '../../../core/logger';
import type { EngineProcessRegistry } from './orphans';

/** The tags of a run's files snapshot: the run tag first (adoption looks it up), the job, a pre script's extras. */
export function backupTags(workflowId: string, jobId: number, extraTags: string[] = []): string[] {
  return [runTag(workflowId), `${JOB_TAG_PREFIX}${jobId}`, ...extraTags];
}

/**
 * Before the engine runs: stops an engine process an earlier attempt of this run left
 * behind and removes the stale locks a killed engine left, then returns the files snapshot
 * an earlier attempt wrote (to adopt instead of writing a second), or null.
 *
 * Only an earlier attempt can have written this run's snapshot or left a stale lock. On
 * attempt 1 there was none, unless an engine process of this run was still alive (a reset
 * workflow scheduling the step afresh): then look too. Skipping saves two restic processes,
 * each deriving the key and loading the index, which is most of the overhead of a no-change
 * incremental. A stale exclusive lock left by some other killed command still fails attempt 1
 * as RepositoryLocked (retryable), and attempt 2 removes it.
 */
export async function resumeEarlierAttempt(
  engine: BackupEngine,
  processes: EngineProcessRegistry,
  repo: RepositoryAccess,
  run: { workflowId: string; attempt: number },
  log: Logger,
): Promise<EngineSnapshot | null> {
  const tag = runTag(run.workflowId);
  const stopped = await processes.stopLeftover(run.workflowId, tag);
  if (stopped) log.warn({ pid: stopped }, 'stopped engine process left by an earlier attempt');
  if (run.attempt === 1 && stopped === null) return null;
  // Stale locks go first, before adopting too: an earlier attempt's engine can die after
  // its snapshot is saved and before it drops its lock (stopped by the restarted worker, or
  // killed by SIGPIPE when the worker holding its output died), and no later step of this
  // run would remove that lock. Only locks of dead processes on this host go.
  await engine.unlockStale(repo);
  // Streams of plugins carry the run tag too; only the files snapshot is this step's.
  const existing = (await engine.findSnapshotsByTag(repo, tag)).filter((s) => isFilesSnapshot(s.tags));
  if (existing.length > 0) {
    log.info({ snapshotId: existing[0]!.id }, 'adopting snapshot written by an earlier attempt');
    return existing[0]!;
  }
  return null;
}
