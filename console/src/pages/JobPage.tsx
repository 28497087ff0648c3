// One job: its settings, health, and a chart of each backup's duration and data added.
import { api, ok, type Schemas } from '../api';
import { ScheduleForm, type ScheduleActions } from '../schedule-form';
import { jobChart, type Series } from '../chart';
import { useLoad } from '../hooks';
import { href } from '../router';
import { Ago, formatBytes, formatDuration, Status } from '../ui';

const W = 600;
const H = 120;

export function JobPage(props: { jobId: number }) {
  const { data: job, error, reload } = useLoad(() => ok(api.GET('/v1/jobs/{id}', { params: { path: { id: props.jobId } } })), [props.jobId]);
  const { data: runs } = useLoad(() => ok(api.GET('/v1/runs', { params: { query: { jobId: props.jobId, kind: 'backup', limit: 200 } } })), [props.jobId], 10_000);
  if (!job) return <p class={error ? 'form-error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const chart = jobChart(runs?.items ?? [], W, H);
  return (
    <section>
      <h1>Job {job.name}</h1>
      <dl class="facts">
        <dt>Agent</dt>
        <dd>{job.agent}</dd>
        <dt>Repository</dt>
        <dd>{job.repositoryId}</dd>
        <dt>Paths</dt>
        <dd>{job.paths.join(', ')}</dd>
        <dt>Last run</dt>
        <dd>
          <Status status={job.health?.lastRunStatus} />
        </dd>
        <dt>Last success</dt>
        <dd>
          <Ago at={job.health?.lastSuccessAt} />
        </dd>
        <dt>Next run</dt>
        <dd>
          <Ago at={job.health?.nextRunAt} />
        </dd>
      </dl>
      <p>
        <a href={href('runs', { jobId: job.id })}>runs</a> · <a href={href('snapshots', { jobId: job.id })}>snapshots</a>
      </p>
      <ScheduleSection job={job} onChange={reload} />
      <h2>Backups over time</h2>
      {chart.count === 0 ? (
        <p class="muted">No finished backup yet.</p>
      ) : (
        <div class="charts" data-points={chart.count}>
          <Chart title={`Duration (max ${formatDuration(chart.duration.max)})`} series={chart.duration} cls="duration" />
          <Chart title={`Data added (max ${formatBytes(chart.bytesAdded.max)})`} series={chart.bytesAdded} cls="added" />
          <p class="muted">
            {chart.count} backups, <Ago at={chart.first} /> to <Ago at={chart.last} />
          </p>
        </div>
      )}
    </section>
  );
}

function Chart(props: { title: string; series: Series; cls: string }) {
  return (
    <figure>
      <figcaption>{props.title}</figcaption>
      <svg class={`chart ${props.cls}`} viewBox={`-4 -4 ${W + 8} ${H + 8}`} width={W} height={H} role="img" aria-label={props.title}>
        <polyline points={props.series.points} fill="none" stroke="currentColor" stroke-width="2" />
        {props.series.dots.map(([x, y], i) => (
          <circle key={i} cx={x} cy={y} r={3} fill="currentColor" />
        ))}
      </svg>
    </figure>
  );
}

/** The job's backup schedule (the form shared with repositories' prune and S3 sync). */
function ScheduleSection(props: { job: Schemas['Job']; onChange: () => void }) {
  const path = { params: { path: { id: props.job.id } } };
  const actions: ScheduleActions = {
    set: (body) => ok(api.PUT('/v1/jobs/{id}/schedule', { ...path, body })),
    pause: (note) => ok(api.POST('/v1/jobs/{id}/schedule/pause', { ...path, body: note ? { note } : {} })),
    resume: (note) => ok(api.POST('/v1/jobs/{id}/schedule/resume', { ...path, body: note ? { note } : {} })),
    trigger: () => ok(api.POST('/v1/jobs/{id}/schedule/trigger', path)),
    remove: () => ok(api.DELETE('/v1/jobs/{id}/schedule', path)),
  };
  return <ScheduleForm title="Schedule" formName="schedule" schedule={props.job.schedule ?? null} none="No schedule: the job runs only when asked." actions={actions} onChange={props.onChange} />;
}
