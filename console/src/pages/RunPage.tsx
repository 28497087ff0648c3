// One run: its steps as a timeline, live progress, the live log (SSE), and the operator's
// buttons: cancel, approve or reject, and a link to its workflow in the Temporal Web UI.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { useLoad } from '../hooks';
import { href } from '../router';
import { mergeSteps, timeline } from '../run-steps';
import { Ago, formatBytes, formatDuration, isActive, ProgressBar, Status } from '../ui';

type LogLine = Schemas['RunLogLine'];

/** Follows the run's log stream; EventSource resumes with Last-Event-ID after a drop by itself. */
function useRunLog(runId: string): { lines: LogLine[]; ended: boolean } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    setLines([]);
    setEnded(false);
    const source = new EventSource(`/v1/runs/${encodeURIComponent(runId)}/log/stream`);
    source.addEventListener('line', (e) => {
      const line = JSON.parse((e as MessageEvent<string>).data) as LogLine;
      setLines((ls) => (ls.some((l) => l.seq === line.seq) ? ls : [...ls, line]));
    });
    source.addEventListener('end', () => {
      setEnded(true);
      source.close();
    });
    return () => source.close();
  }, [runId]);
  return { lines, ended };
}

export function RunPage(props: { runId: string; temporalUiUrl: string | null }) {
  const { data: run, error, reload } = useLoad(() => ok(api.GET('/v1/runs/{runId}', { params: { path: { runId: props.runId } } })), [props.runId], 1_000);
  const { lines, ended } = useRunLog(props.runId);
  const [stepsSeen, setStepsSeen] = useState<string[]>([]);
  const [actionError, setActionError] = useState<string | null>(null);
  const logEnd = useRef<HTMLDivElement>(null);
  const reported = run?.live ? [...run.live.stepsDone, run.live.step] : [];
  useEffect(() => setStepsSeen((s) => mergeSteps(s, reported)), [reported.join()]);
  useEffect(() => logEnd.current?.scrollIntoView({ block: 'nearest' }), [lines.length]);
  if (!run) return <p class={error ? 'form-error' : 'muted'}>{error ?? 'Loading…'}</p>;

  const act = async (what: 'cancel' | 'approve' | 'reject') => {
    setActionError(null);
    try {
      const path = { params: { path: { runId: run.id } }, body: {} };
      if (what === 'cancel') await ok(api.POST('/v1/runs/{runId}/cancel', path));
      if (what === 'approve') await ok(api.POST('/v1/runs/{runId}/approve', path));
      if (what === 'reject') await ok(api.POST('/v1/runs/{runId}/reject', path));
      reload();
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
    }
  };
  const active = isActive(run.status);
  const current = run.live?.step ?? null;
  const steps = timeline(stepsSeen, current, lines);
  const progress = run.live?.progress ?? run.progress;
  return (
    <section class="run" data-status={run.status}>
      <h1>
        {run.kind} run <Status status={run.status} />
      </h1>
      <dl class="facts">
        <dt>Job</dt>
        <dd>{run.jobId ?? '—'}</dd>
        <dt>Agent</dt>
        <dd>{run.agentName ?? '—'}</dd>
        <dt>Started</dt>
        <dd>
          <Ago at={run.startedAt} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Ago at={run.finishedAt} />
        </dd>
        {run.snapshotId && (
          <>
            <dt>Snapshot</dt>
            <dd>
              <a href={href(`snapshots/${run.snapshotId}`, { path: '/' })}>{run.snapshotId.slice(0, 12)}</a>
            </dd>
          </>
        )}
        <dt>Workflow</dt>
        <dd>{props.temporalUiUrl ? <a href={`${props.temporalUiUrl}/namespaces/default/workflows/${encodeURIComponent(run.workflowId)}`}>{run.workflowId}</a> : run.workflowId}</dd>
        {run.failureReason && (
          <>
            <dt>Reason</dt>
            <dd class="bad">{run.failureReason}</dd>
          </>
        )}
        {run.stats && (
          <>
            <dt>Result</dt>
            <dd>
              {run.stats.totalFilesProcessed} files, {formatBytes(run.stats.totalBytesProcessed)} processed, {formatBytes(run.stats.dataAdded)} added in {formatDuration(run.stats.durationSeconds)}
            </dd>
          </>
        )}
      </dl>
      <div class="actions">
        {active && (
          <button class="danger" onClick={() => void act('cancel')}>
            Cancel run
          </button>
        )}
        {run.status === 'awaiting-approval' && (
          <>
            <button onClick={() => void act('approve')}>Approve</button>
            <button class="danger" onClick={() => void act('reject')}>
              Reject
            </button>
          </>
        )}
        {actionError && <span class="form-error">{actionError}</span>}
      </div>
      {(progress || run.kind === 'backup' || run.kind === 'restore') && <ProgressBar progress={progress} done={run.status === 'succeeded' || run.status === 'warning'} />}
      <h2>Steps</h2>
      <ol class="timeline">
        {steps.map((s) => (
          <li key={s} class={s === current && active ? 'current' : 'done'}>
            {s}
            {s === current && run.live && (
              <span class="muted">
                {' '}
                since <Ago at={run.live.stepStartedAt} />
              </span>
            )}
          </li>
        ))}
      </ol>
      <h2>Log {ended ? '' : <span class="muted">(live)</span>}</h2>
      <div class="log" data-lines={lines.length}>
        {lines.map((l) => (
          <div key={l.seq} class={`line ${l.stream}`}>
            <span class="muted">{l.step}</span> {l.line}
          </div>
        ))}
        <div ref={logEnd} />
      </div>
    </section>
  );
}
