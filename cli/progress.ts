// What `--wait` shows while a run goes: pure renderings of the run's live state (GET
// /v1/runs/{id} `live`: step, and the engine's byte and file progress) as a terminal bar or
// as plain lines for logs and pipes. The loop that polls and draws is in run-watch.ts.
import type { ApiRun } from '../core/api-client';
import { formatBytes, formatDuration } from './format';

type Progress = NonNullable<ApiRun['progress']>;

export interface ProgressFigures {
  /** 0–100, or null when the engine does not know the total (borg, PBS, a pull restore). */
  percent: number | null;
  bytesDone: number;
  bytesTotal: number | null;
  filesDone: number;
  filesTotal: number | null;
  /** Bytes a second over the run so far; null before there is anything to divide. */
  rate: number | null;
  /** Seconds left at that rate; null when the total or the rate is unknown. */
  etaSeconds: number | null;
}

/** The figures a person wants from one heartbeat: totals kept only when the engine knows them. */
export function progressFigures(p: Progress): ProgressFigures {
  const bytesTotal = p.bytesTotal > 0 ? p.bytesTotal : null;
  const rate = p.secondsElapsed > 0 && p.bytesDone > 0 ? p.bytesDone / p.secondsElapsed : null;
  const percent = bytesTotal !== null ? Math.min(100, Math.max(0, p.percent > 0 ? p.percent : (p.bytesDone / bytesTotal) * 100)) : null;
  return {
    percent,
    bytesDone: p.bytesDone,
    bytesTotal,
    filesDone: p.filesDone,
    filesTotal: p.filesTotal > 0 ? p.filesTotal : null,
    rate,
    etaSeconds: bytesTotal !== null && rate ? Math.max(0, (bytesTotal - p.bytesDone) / rate) : null,
  };
}

/** `[#####-----]` of `width` cells; a solid bar needs no Unicode, so any terminal shows it. */
export function bar(percent: number, width: number): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** The numbers of one heartbeat as text: `1.20 GiB / 4.00 GiB  1200/5000 files  52.1 MiB/s  ETA 54s`. */
export function describeFigures(f: ProgressFigures): string {
  const parts = [
    f.bytesTotal !== null ? `${formatBytes(f.bytesDone)} / ${formatBytes(f.bytesTotal)}` : formatBytes(f.bytesDone),
    f.filesTotal !== null ? `${f.filesDone}/${f.filesTotal} files` : `${f.filesDone} files`,
  ];
  if (f.rate !== null) parts.push(`${formatBytes(f.rate)}/s`);
  if (f.etaSeconds !== null) parts.push(`ETA ${formatDuration(f.etaSeconds)}`);
  return parts.join('  ');
}

/** What a run is doing: its live step (or its status before it has one) and for how long. */
export function describeStep(run: ApiRun, now: Date): string {
  const live = run.live;
  if (!live) return run.status;
  const since = Date.parse(live.stepStartedAt);
  return Number.isNaN(since) ? live.step : `${live.step} ${formatDuration((now.getTime() - since) / 1000)}`;
}

/**
 * The status line a terminal redraws in place, fitted to `columns`: step, bar and figures
 * when the step reports progress, the step alone otherwise.
 */
export function renderStatusLine(run: ApiRun, now: Date, columns: number): string {
  const step = describeStep(run, now);
  const p = run.live?.progress ?? run.progress;
  let line: string;
  if (!p) line = run.live ? `${run.kind} ${run.status}: ${step}` : `${run.kind} ${run.status}`;
  else {
    const f = progressFigures(p);
    const pct = f.percent === null ? '' : `${bar(f.percent, 24)} ${f.percent.toFixed(0).padStart(3)}%  `;
    line = `${pct}${describeFigures(f)}  ${step}`;
  }
  return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
}

/**
 * A plain line for a pipe or log file, printed only when something a reader cares about
 * changed (the step, or ten more percent), so a long run does not flood the log.
 */
export function plainUpdate(run: ApiRun, now: Date, last: { step?: string; decile?: number }): { line: string | null; last: { step?: string; decile?: number } } {
  const step = run.live?.step ?? run.status;
  const p = run.live?.progress ?? run.progress;
  const f = p ? progressFigures(p) : null;
  const decile = f?.percent !== null && f?.percent !== undefined ? Math.floor(f.percent / 10) : undefined;
  if (step === last.step && decile === last.decile) return { line: null, last };
  const figures = f ? `  ${f.percent !== null ? `${f.percent.toFixed(0)}%  ` : ''}${describeFigures(f)}` : '';
  return { line: `${now.toISOString()} ${run.kind} ${run.id.slice(0, 8)}: ${step}${figures}`, last: { step, decile } };
}

/** How a finished run ended, for people: status, what it did, and why not when it did not. */
export function runSummary(run: ApiRun): string[] {
  const lines = [`${run.kind} run ${run.id} ${run.status}${run.finishedAt ? ` after ${formatDuration((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}` : ''}`];
  if (run.snapshotId) lines.push(`  snapshot  ${run.snapshotId}`);
  const s = run.stats;
  if (s) {
    lines.push(`  files     ${s.totalFilesProcessed} processed (${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified)`);
    lines.push(`  data      ${formatBytes(s.totalBytesProcessed)} processed, ${formatBytes(s.dataAdded)} added`);
  }
  for (const w of run.warnings) lines.push(`  warning   ${w}`);
  if (run.failureReason) lines.push(`  reason    ${run.failureReason}`);
  return lines;
}
