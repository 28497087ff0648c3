// The run log: every line the hooks and the engine print during a run, with its time and
// the step it came from. Shared by the activities (which produce lines), the catalog
// (which stores them) and the API; workflows import RunStep, so no Node APIs here.

/** Where a line or a moment of a run comes from; also the steps the progress query names. */
export const RunStep = {
  preparing: 'preparing',
  preScript: 'pre-script',
  snapshot: 'snapshot',
  waitingForLock: 'waiting-for-lock',
  engine: 'engine',
  snapshotRelease: 'snapshot-release',
  postHook: 'post-hook',
  checkTarget: 'check-target',
  awaitingApproval: 'awaiting-approval',
  restore: 'restore',
  restoreHook: 'restore-hook',
  forget: 'forget',
  prune: 'prune',
  catalogSync: 'catalog-sync',
  postPruneScript: 'post-prune-script',
  // repository check: the engine's check of the whole repository
  check: 'check',
  s3Sync: 's3-sync',
  verify: 'verify',
  record: 'record',
  finished: 'finished',
  // plugins and scripts (issue 5): see the execution order in workflows/backup.ts
  serverPreScripts: 'server-pre-scripts',
  agentPreHooks: 'agent-pre-hooks',
  dumps: 'dumps',
  agentPostHooks: 'agent-post-hooks',
  serverPostScripts: 'server-post-scripts',
  pluginTest: 'plugin-test',
  dbRestore: 'db-restore',
  // pull mode (issue 13): the agent's export, open while the server worker's engine reads it
  export: 'export',
  exportStop: 'export-stop',
  // restore drills (issue 17): the engine's bounded check, the sample restore, the scratch
  // databases, and the removal of the scratch space (always)
  drillCheck: 'drill-check',
  drillFiles: 'drill-files',
  drillDatabases: 'drill-databases',
  drillCleanup: 'drill-cleanup',
  // guest backups (issue 19): the bitmaps committed once the snapshot is recorded, or the
  // view taken down and the bitmaps rolled back after a failed or cancelled run
  guestCommit: 'guest-commit',
  guestRollback: 'guest-rollback',
  // container backups (issue 19 item 3): the agent finds the container's paths, freezes a
  // running LXC container while its filesystem snapshot is taken, and thaws it (always)
  container: 'container',
  containerFreeze: 'container-freeze',
  containerThaw: 'container-thaw',
} as const;
export type RunStep = (typeof RunStep)[keyof typeof RunStep];

export type RunLogStream = 'stdout' | 'stderr';

/**
 * One line as a producer sends it. `(source, attempt, n)` identifies it: `source` is the
 * Temporal activity id, `attempt` the activity attempt and `n` the line's index within
 * that attempt, so a batch sent twice (a lost response) is stored once, while a retried
 * attempt's lines are kept beside the first attempt's, marked with their attempt.
 */
export interface RunLogEntry {
  source: string;
  attempt: number;
  n: number;
  at: string;
  step: string;
  stream: RunLogStream;
  line: string;
}

/** A stored line: `seq` orders the lines of one run (gaps possible) and resumes a tail. */
export interface RunLogLine {
  seq: number;
  at: string;
  step: string;
  stream: RunLogStream;
  line: string;
  attempt: number;
}

/** Longer lines are cut (a binary dump or a minified JSON should not fill the catalog). */
export const RUN_LOG_MAX_LINE_CHARS = 2_000;
/** Lines kept per run; after that one marker line says the rest was dropped. */
export const RUN_LOG_MAX_LINES = 10_000;
/** Lines per batch an agent sends (the API's body limit is 256 kB: 100 × 2,000 chars fits). */
export const RUN_LOG_MAX_BATCH = 100;

export const TRUNCATED_SUFFIX = '… [cut]';

/** The line without control characters (a terminal escape must not reach a viewer) and cut to the limit. */
export function boundLine(line: string, max = RUN_LOG_MAX_LINE_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/\r$/, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return clean.length <= max ? clean : clean.slice(0, max - TRUNCATED_SUFFIX.length) + TRUNCATED_SUFFIX;
}

/** How many of `incoming` new lines a run with `stored` lines may still take, and whether the limit marker is due. */
export function admitLines(stored: number, incoming: number, max = RUN_LOG_MAX_LINES): { take: number; markLimit: boolean } {
  // One slot is kept for the marker line.
  const room = Math.max(0, max - 1 - stored);
  const take = Math.min(room, incoming);
  return { take, markLimit: incoming > take && stored < max };
}
