// What the soak's runs came to (pure): how many ended which way, which did not end, which
// failed without saying why, and the failure reasons grouped so that 40 "agent-2 unreachable
// (run 3f…)" read as one line with a count.
//
// Acceptable ends: succeeded, warning, cancelled, and failed WITH a reason. A failure is an
// acceptable answer to a kill -9 only when the run says what went wrong; a run that is not
// terminal once the soak has drained is a stuck run.

export const ENDED_STATUSES = ['succeeded', 'warning', 'failed', 'cancelled'] as const;

/** The fields of a run (GET /v1/runs) the judgement reads. */
export interface RunRecord {
  id: string;
  workflowId: string;
  jobId: number | null;
  status: string;
  failureReason: string | null;
  warnings: string[];
  snapshotId: string | null;
}

/** One run in a list of the report. */
export interface RunLine {
  id: string;
  workflowId: string;
  status: string;
  /** The failure reason, or a warning run's warnings, or null. */
  reason: string | null;
}

export interface ReasonCount {
  /** `<status>: <reason with ids, numbers, times and paths masked>` */
  reason: string;
  count: number;
  /** One full reason of the group, unmasked. */
  example: string;
}

export interface RunJudgement {
  total: number;
  byStatus: Record<string, number>;
  /** Started by a job's schedule, as a catch-up of a scheduled run its agent missed, or through POST /v1/jobs/{id}/run. */
  scheduled: number;
  catchUp: number;
  manual: number;
  /** (succeeded + warning) / total; 0 without runs. */
  successRatio: number;
  notTerminal: RunLine[];
  failedWithoutReason: RunLine[];
  /** Every run that did not simply succeed, with its reason: what a reader of a failing soak looks at first. */
  notSucceeded: RunLine[];
  reasons: ReasonCount[];
}

/**
 * Who started a run, from its workflow id (contract/names.ts): a schedule (`…/scheduled-<fire
 * time>`), the catch-up of a scheduled run whose agent was unreachable (`…/catchup-<time>`,
 * api/catch-up.ts), or a request to the API (`backup/<job>/<time>`).
 */
export function runOrigin(workflowId: string): 'scheduled' | 'catch-up' | 'manual' {
  if (/\/scheduled-/.test(workflowId)) return 'scheduled';
  if (/\/catchup-/.test(workflowId)) return 'catch-up';
  return 'manual';
}

/** A reason with what differs between runs masked, so that runs failing alike group together. */
export function reasonGroup(reason: string): string {
  return reason
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    // Workflow ids end in a time: the id is masked whole, before the times are.
    .replace(/\b(backup|restore|prune|check|s3-sync)\/[^\s,;)"']*\d{2}:\d{2}:\d{2}Z/g, '<workflow>')
    .replace(/\b(backup|restore|prune|check|s3-sync)\/[^\s,;:)"']+/g, '<workflow>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?/g, '<time>')
    .replace(/\/tmp\/[^\s,;:)"']+/g, '<path>')
    .replace(/\b[0-9a-f]{8,64}\b/gi, '<hex>')
    .replace(/\d+(\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

const lineOf = (r: RunRecord): RunLine => ({
  id: r.id,
  workflowId: r.workflowId,
  status: r.status,
  reason: r.failureReason ?? (r.warnings.length > 0 ? r.warnings.join('; ') : null),
});

export function judgeRuns(runs: readonly RunRecord[]): RunJudgement {
  const byStatus: Record<string, number> = {};
  for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const ended = new Set<string>(ENDED_STATUSES);
  const notSucceeded = runs.filter((r) => r.status !== 'succeeded').map(lineOf);
  const groups = new Map<string, ReasonCount>();
  for (const line of notSucceeded) {
    if (!ended.has(line.status)) continue;
    const key = `${line.status}: ${line.reason === null || line.reason.trim() === '' ? '(no reason)' : reasonGroup(line.reason)}`;
    const g = groups.get(key) ?? { reason: key, count: 0, example: line.reason ?? '' };
    g.count++;
    groups.set(key, g);
  }
  const good = (byStatus.succeeded ?? 0) + (byStatus.warning ?? 0);
  const origins = runs.map((r) => runOrigin(r.workflowId));
  const scheduled = origins.filter((o) => o === 'scheduled').length;
  const catchUp = origins.filter((o) => o === 'catch-up').length;
  return {
    total: runs.length,
    byStatus,
    scheduled,
    catchUp,
    manual: runs.length - scheduled - catchUp,
    successRatio: runs.length === 0 ? 0 : good / runs.length,
    notTerminal: runs.filter((r) => !ended.has(r.status)).map(lineOf),
    failedWithoutReason: runs.filter((r) => r.status === 'failed' && (r.failureReason === null || r.failureReason.trim() === '')).map(lineOf),
    notSucceeded,
    reasons: [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
  };
}

/** How much of the chaos hit running backups: a kill between runs tests only the restart. */
export interface KillExposure {
  /** Kills that landed while at least one backup run was under way. */
  killsDuringRuns: number;
  /** Runs under way at the moment of at least one kill. */
  runsThroughKills: number;
}

export function killExposure(killedAt: readonly number[], runs: ReadonlyArray<{ startedAt: string; finishedAt: string | null }>): KillExposure {
  const spans = runs.map((r) => ({ from: Date.parse(r.startedAt), to: r.finishedAt === null ? Infinity : Date.parse(r.finishedAt) }));
  const during = (at: number, s: { from: number; to: number }) => s.from <= at && at < s.to;
  return {
    killsDuringRuns: killedAt.filter((at) => spans.some((s) => during(at, s))).length,
    runsThroughKills: spans.filter((s) => killedAt.some((at) => during(at, s))).length,
  };
}
