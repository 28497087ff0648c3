// The soak's findings, the checks they pass or fail, and the table printed at the end (pure).
// The JSON file the soak writes is a SoakReport as is; the table is for a person reading a
// log. Every check says what it found, not only whether it passed.
import type { ComponentClass } from './chaos-plan';
import type { KillExposure, RunJudgement } from './run-outcomes';
import type { DuplicateRun } from './snapshot-audit';

export interface KillRecord {
  seq: number;
  target: string;
  cls: ComponentClass;
  plannedAtMs: number;
  /** When the kill landed (from the start of the chaos); null if it never did. */
  killedAtMs: number | null;
  downMs: number;
  /** When the component was up again; null if it did not come back. */
  upAtMs: number | null;
}

export interface SelfExit {
  member: string;
  atMs: number;
  /** The last lines of its log: why it left. */
  logTail: string;
}

export interface ChaosFindings {
  planned: number;
  done: number;
  /** Done kills per class and per member. */
  byClass: Record<string, number>;
  byTarget: Record<string, number>;
  /** Kills that waited more than a second for their target to be up again. */
  late: number;
  /** Kills after which both APIs, or both server workers, were down at the same moment. */
  bothApisDown: number;
  bothWorkersDown: number;
  restartFailures: string[];
  /**
   * Starts that failed and were tried again (a process that exits at start because a
   * dependency is down at that moment): no check fails on them while a later start succeeds,
   * but the table lists each with its log, since without a supervisor the process stays down.
   */
  startFailures: SelfExit[];
  /** Processes that exited without being killed (started again, as a supervisor would). */
  selfExits: SelfExit[];
  kills: KillRecord[];
}

export interface TriggerFindings {
  /** Runs asked for through POST /v1/jobs/{id}/run, each with its own Idempotency-Key. */
  attempted: number;
  accepted: number;
  /** Accepted only after a failed attempt with the same key (an API or the catalog was down). */
  acceptedAfterRetry: number;
  /** Never accepted within the trigger's deadline. */
  abandoned: number;
  /** Manual runs in the catalog that no accepted key answered with (beyond the abandoned ones): a key that started two runs. */
  unaccounted: string[];
  /** Accepted run ids the catalog does not list. */
  lost: string[];
}

export interface TemporalFindings {
  backupWorkflows: number;
  byStatus: Record<string, number>;
  /** Backup workflows still open after the drain. */
  open: string[];
  /** Backup workflows with no run in the catalog. */
  withoutCatalogRun: string[];
}

export interface RepositoryFindings {
  name: string;
  path: string;
  snapshots: number;
  duplicates: DuplicateRun[];
  untagged: string[];
  staleLocks: string[];
  check: { ok: boolean; detail: string };
  restores: { verified: number; failed: Array<{ snapshot: string; why: string }> };
}

export interface ConsistencyFindings {
  /** Succeeded or warning runs whose snapshot id the repository does not hold. */
  runsWithMissingSnapshot: string[];
  /** Succeeded or warning runs with no snapshot id at all. */
  runsWithoutSnapshot: string[];
  /** Catalog snapshot rows the repository does not hold. */
  catalogSnapshotsMissing: string[];
}

export interface LeakFindings {
  processes: string[];
  mounts: string[];
  /** btrfs snapshots left under `.backstop-snapshots`, and agent snapshot records left behind. */
  filesystemSnapshots: string[];
}

export interface SoakFindings {
  options: { minutes: number; kills: number; jobs: number; seed: number };
  replay: string;
  topologyDir: string;
  startedAt: string;
  durations: { setupMs: number; chaosMs: number; drainMs: number; checksMs: number; totalMs: number };
  /** Per kind of job: 'yes', or why it was not part of this soak. */
  exercised: Record<string, string>;
  chaos: ChaosFindings;
  triggers: TriggerFindings;
  /** False when the drain's deadline passed with runs still open. */
  drained: boolean;
  runs: RunJudgement;
  exposure: KillExposure;
  temporal: TemporalFindings;
  repositories: RepositoryFindings[];
  consistency: ConsistencyFindings;
  leaks: LeakFindings;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakReport extends SoakFindings {
  checks: Check[];
  verdict: 'pass' | 'fail';
  /** Where the topology's directory was kept (a failed soak, or --keep); null when removed. */
  keptDir: string | null;
  /** Set when the soak itself broke off (a component that never came back, an error of the harness). */
  error?: string;
}

/** Below this share of succeeded (or warning) runs, the soak proved little: most runs only failed. */
export const MIN_SUCCESS_RATIO = 0.5;

const secs = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};
const list = (xs: readonly string[], max = 5) => (xs.length === 0 ? 'none' : `${xs.slice(0, max).join(', ')}${xs.length > max ? ` … (${xs.length} in all)` : ''}`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * The line of a log tail that says why a process ended: a thrown error's first line
 * (`Error: Connection terminated unexpectedly`), else a fatal JSON log line's message, else the last line.
 */
export function crashLine(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim()).filter(Boolean);
  const thrown = lines.find((l) => /^[\w.]*(Error|Exception)\b.*:/.test(l));
  if (thrown) return thrown;
  for (const l of [...lines].reverse()) {
    try {
      const entry = JSON.parse(l) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) >= 50) return `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    } catch {
      /* not a JSON log line */
    }
  }
  return lines[lines.length - 1] ?? '(empty log)';
}

export function checksOf(f: SoakFindings, minSuccessRatio = MIN_SUCCESS_RATIO): Check[] {
  const repos = f.repositories;
  const sum = (pick: (r: RepositoryFindings) => number) => repos.reduce((n, r) => n + pick(r), 0);
  const snapshots = sum((r) => r.snapshots);
  const verified = sum((r) => r.restores.verified);
  const restoreFailures = repos.flatMap((r) => r.restores.failed.map((x) => `${r.name} ${x.snapshot}: ${x.why}`));
  return [
    { name: 'every planned kill landed', ok: f.chaos.done === f.chaos.planned, detail: `${f.chaos.done}/${f.chaos.planned}` },
    { name: 'every killed component came back', ok: f.chaos.restartFailures.length === 0, detail: list(f.chaos.restartFailures) },
    // A process that exits without being killed is a crash: a supervisor would hide it, the soak must not.
    { name: 'no Backstop process or server exited on its own', ok: f.chaos.selfExits.length === 0, detail: list(f.chaos.selfExits.map((e) => `${e.member} at ${secs(e.atMs)}: ${crashLine(e.logTail)}`), 3) },
    { name: 'the soak ran backups', ok: f.runs.total > 0, detail: `${f.runs.total} runs` },
    { name: 'every run ended', ok: f.drained && f.runs.notTerminal.length === 0, detail: f.runs.notTerminal.length === 0 ? (f.drained ? 'yes' : 'drain deadline passed') : list(f.runs.notTerminal.map((r) => `${r.workflowId} ${r.status}`)) },
    { name: 'every failed run says why', ok: f.runs.failedWithoutReason.length === 0, detail: list(f.runs.failedWithoutReason.map((r) => r.workflowId)) },
    { name: `at least ${pct(minSuccessRatio)} of runs succeeded`, ok: f.runs.successRatio >= minSuccessRatio, detail: pct(f.runs.successRatio) },
    { name: 'no backup workflow left open in Temporal', ok: f.temporal.open.length === 0, detail: list(f.temporal.open) },
    { name: 'every backup workflow has its run in the catalog', ok: f.temporal.withoutCatalogRun.length === 0, detail: list(f.temporal.withoutCatalogRun) },
    { name: 'every manual run accepted, once per Idempotency-Key', ok: f.triggers.abandoned === 0 && f.triggers.unaccounted.length === 0 && f.triggers.lost.length === 0, detail: `${f.triggers.accepted}/${f.triggers.attempted} accepted; unaccounted ${list(f.triggers.unaccounted)}; lost ${list(f.triggers.lost)}` },
    { name: '0 duplicate snapshots', ok: sum((r) => r.duplicates.length) === 0, detail: list(repos.flatMap((r) => r.duplicates.map((d) => `${r.name} ${d.tag} ×${d.ids.length}`))) },
    { name: '0 snapshots without a run', ok: sum((r) => r.untagged.length) === 0, detail: list(repos.flatMap((r) => r.untagged.map((id) => `${r.name} ${id}`))) },
    { name: "every succeeded run's snapshot is in its repository", ok: f.consistency.runsWithMissingSnapshot.length === 0 && f.consistency.runsWithoutSnapshot.length === 0, detail: `missing ${list(f.consistency.runsWithMissingSnapshot)}; no id ${list(f.consistency.runsWithoutSnapshot)}` },
    { name: 'every catalog snapshot is in its repository', ok: f.consistency.catalogSnapshotsMissing.length === 0, detail: list(f.consistency.catalogSnapshotsMissing) },
    { name: '0 stale repository locks', ok: sum((r) => r.staleLocks.length) === 0, detail: list(repos.flatMap((r) => r.staleLocks.map((l) => `${r.name} ${l}`))) },
    { name: '`restic check` clean on every repository', ok: repos.every((r) => r.check.ok), detail: list(repos.filter((r) => !r.check.ok).map((r) => `${r.name}: ${r.check.detail}`)) },
    { name: 'every snapshot restored and verified', ok: restoreFailures.length === 0 && verified === snapshots, detail: `${verified}/${snapshots}; ${list(restoreFailures)}` },
    { name: '0 leaked processes', ok: f.leaks.processes.length === 0, detail: list(f.leaks.processes) },
    { name: '0 leaked mounts', ok: f.leaks.mounts.length === 0, detail: list(f.leaks.mounts) },
    { name: '0 leaked filesystem snapshots', ok: f.leaks.filesystemSnapshots.length === 0, detail: list(f.leaks.filesystemSnapshots) },
  ];
}

export function reportOf(f: SoakFindings, keptDir: string | null, error?: string, minSuccessRatio = MIN_SUCCESS_RATIO): SoakReport {
  const checks = checksOf(f, minSuccessRatio);
  if (error) checks.unshift({ name: 'the soak ran to its end', ok: false, detail: error });
  return { ...f, checks, verdict: checks.every((c) => c.ok) ? 'pass' : 'fail', keptDir, ...(error ? { error } : {}) };
}

const right = (v: string | number, w: number) => String(v).padStart(w);
const left = (v: string, w: number) => v.padEnd(w);

/** The table a person reads at the end of the soak. */
export function formatReport(r: SoakReport): string {
  const out: string[] = [];
  const d = r.durations;
  out.push(`Backstop crash soak, seed ${r.options.seed}: ${r.options.kills} kills planned over ${r.options.minutes} min, ${r.options.jobs} jobs`);
  out.push(`replay: ${r.replay}`);
  out.push(`VERDICT: ${r.verdict.toUpperCase()}   (total ${secs(d.totalMs)}: setup ${secs(d.setupMs)}, chaos ${secs(d.chaosMs)}, drain ${secs(d.drainMs)}, checks ${secs(d.checksMs)})`);
  if (r.error) out.push(`broke off: ${r.error}`);
  if (r.keptDir) out.push(`kept: ${r.keptDir} (logs/, repos/ with passwords.json, agent state)`);

  out.push('', `${left('kills by component', 24)}${right('done', 6)}   members`);
  for (const cls of Object.keys(r.chaos.byClass).sort()) {
    const members = Object.entries(r.chaos.byTarget).filter(([name]) => r.chaos.kills.some((k) => k.target === name && k.cls === cls));
    out.push(`  ${left(cls, 22)}${right(r.chaos.byClass[cls]!, 6)}   ${members.map(([n, c]) => `${n} ${c}`).join(', ')}`);
  }
  out.push(`  ${left('total', 22)}${right(r.chaos.done, 6)}   of ${r.chaos.planned} planned`);
  out.push(`  kills that landed while a backup ran: ${r.exposure.killsDuringRuns}; runs under way at a kill: ${r.exposure.runsThroughKills}`);
  out.push(`  both APIs down at once: ${r.chaos.bothApisDown}×; both server workers down at once: ${r.chaos.bothWorkersDown}×; kills that waited for a restart: ${r.chaos.late}`);
  out.push(`  restart failures: ${list(r.chaos.restartFailures)}`);
  out.push(`  exited on their own (started again): ${r.chaos.selfExits.length === 0 ? 'none' : ''}`);
  for (const e of r.chaos.selfExits.slice(0, 10)) out.push(`    ${e.member} at ${secs(e.atMs)}: ${crashLine(e.logTail).slice(0, 300)}`);
  out.push(`  starts that failed and were tried again: ${r.chaos.startFailures.length === 0 ? 'none' : ''}`);
  for (const e of r.chaos.startFailures.slice(0, 10)) {
    // The start's error first, then what its log says.
    const [error = '', ...log] = e.logTail.split('\n');
    out.push(`    ${e.member} at ${secs(e.atMs)}: ${error} / log: ${crashLine(log.join('\n')).slice(0, 300)}`);
  }

  const j = r.runs;
  out.push('', `${left('runs by outcome', 24)}${right('count', 6)}`);
  for (const s of ['succeeded', 'warning', 'failed', 'cancelled', ...Object.keys(j.byStatus).filter((k) => !['succeeded', 'warning', 'failed', 'cancelled'].includes(k))]) {
    out.push(`  ${left(s, 22)}${right(j.byStatus[s] ?? 0, 6)}`);
  }
  out.push(`  ${left('total', 22)}${right(j.total, 6)}   (scheduled ${j.scheduled}, catch-up ${j.catchUp}, manual ${j.manual})   success ratio ${pct(j.successRatio)}`);
  out.push(`  manual runs: ${r.triggers.accepted}/${r.triggers.attempted} accepted, ${r.triggers.acceptedAfterRetry} after a retry with the same key, ${r.triggers.abandoned} abandoned`);

  if (j.reasons.length > 0) {
    out.push('', 'reasons of runs that did not simply succeed (grouped)');
    for (const g of j.reasons) out.push(`  ${right(g.count, 4)}  ${g.reason.slice(0, 240)}`);
  }
  if (j.notSucceeded.length > 0) {
    out.push('', 'every run that did not succeed');
    for (const l of j.notSucceeded) out.push(`  ${left(l.status, 10)} ${l.workflowId}  ${l.id}: ${(l.reason ?? '(no reason)').slice(0, 300)}`);
  }

  out.push('', `${left('repository', 18)}${right('snapshots', 10)}${right('dupes', 7)}${right('no run', 8)}${right('locks', 7)}${right('check', 7)}${right('restored', 10)}`);
  for (const repo of r.repositories) {
    out.push(
      `  ${left(repo.name, 16)}${right(repo.snapshots, 10)}${right(repo.duplicates.length, 7)}${right(repo.untagged.length, 8)}${right(repo.staleLocks.length, 7)}${right(repo.check.ok ? 'ok' : 'FAIL', 7)}${right(`${repo.restores.verified}/${repo.snapshots}`, 10)}`,
    );
  }
  const c = r.consistency;
  out.push(`  runs whose snapshot is missing: ${c.runsWithMissingSnapshot.length}; succeeded runs without a snapshot id: ${c.runsWithoutSnapshot.length}; catalog snapshots missing: ${c.catalogSnapshotsMissing.length}`);
  out.push(`  Temporal: ${r.temporal.backupWorkflows} backup workflows (${Object.entries(r.temporal.byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}), open ${r.temporal.open.length}, without a catalog run ${r.temporal.withoutCatalogRun.length}`);
  out.push(`  leaks: processes ${r.leaks.processes.length}, mounts ${r.leaks.mounts.length}, filesystem snapshots ${r.leaks.filesystemSnapshots.length}`);
  out.push(`  exercised: ${Object.entries(r.exercised).map(([k, v]) => `${k} ${v}`).join('; ')}`);

  out.push('', 'checks');
  for (const ch of r.checks) out.push(`  ${ch.ok ? 'PASS' : 'FAIL'}  ${ch.name}${ch.ok && ch.detail === 'none' ? '' : `: ${ch.detail}`}`);
  return out.join('\n');
}
