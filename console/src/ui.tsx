// Small shared pieces of the pages: status badges, times, sizes, the progress bar.
import { formatBytes, formatDuration, relativeTime } from '../../cli/format';
import { describeFigures, progressFigures } from '../../cli/progress';
import type { Schemas } from './api';

export { formatBytes, formatDuration };

export function Status(props: { status: Schemas['RunStatus'] | null | undefined }) {
  const s = props.status ?? 'none';
  return <span class={`status status-${s}`}>{props.status ?? '—'}</span>;
}

export function Ago(props: { at: string | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  return <time dateTime={props.at} title={new Date(props.at).toLocaleString()}>{relativeTime(props.at, new Date())}</time>;
}

/**
 * The engine's latest heartbeat as a bar and figures; a finished successful run shows 100 %
 * (its last heartbeat may have been before the end: the SDK throttles them).
 */
export function ProgressBar(props: { progress: Schemas['Progress'] | null | undefined; done?: boolean }) {
  const f = props.progress ? progressFigures(props.progress) : null;
  const percent = props.done ? 100 : (f?.percent ?? null);
  return (
    <div class="progress" data-percent={percent === null ? '' : percent.toFixed(0)}>
      <div class="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent ?? undefined}>
        <div class="progress-fill" style={{ width: `${percent ?? 0}%` }} />
      </div>
      <span class="progress-text">
        {percent === null ? 'no total yet' : `${percent.toFixed(0)} %`}
        {f && !props.done ? `  ${describeFigures(f)}` : ''}
      </span>
    </div>
  );
}

export const TERMINAL: ReadonlyArray<Schemas['RunStatus']> = ['succeeded', 'warning', 'failed', 'cancelled'];
export const isActive = (s: Schemas['RunStatus']) => !TERMINAL.includes(s);
