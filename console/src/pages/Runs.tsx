// Runs, newest first, filtered by job, agent, kind, outcome and time (the API's own filters).
import { api, ok, type Schemas } from '../api';
import { useLoad } from '../hooks';
import { href, navigate, type Route } from '../router';
import { Ago, formatBytes, formatDuration, Status } from '../ui';

const KINDS: Schemas['RunKind'][] = ['backup', 'restore', 'prune', 's3-sync', 'plugin-test', 'db-restore', 'check', 'drill'];
const STATUSES: Schemas['RunStatus'][] = ['queued', 'awaiting-approval', 'running', 'succeeded', 'warning', 'failed', 'cancelled'];
// repositoryId has no control of its own: a repository's page links here with it.
const FILTERS = ['jobId', 'repositoryId', 'agent', 'kind', 'status', 'since', 'until'] as const;

export function Runs(props: { route: Route }) {
  const q = props.route.query;
  const filter = Object.fromEntries(FILTERS.map((f) => [f, q.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const { data, error } = useLoad(
    () =>
      ok(
        api.GET('/v1/runs', {
          params: {
            query: {
              jobId: filter.jobId ? Number(filter.jobId) : undefined,
              repositoryId: filter.repositoryId ? Number(filter.repositoryId) : undefined,
              agent: filter.agent || undefined,
              kind: (filter.kind || undefined) as Schemas['RunKind'] | undefined,
              status: (filter.status || undefined) as Schemas['RunStatus'] | undefined,
              since: filter.since ? new Date(filter.since).toISOString() : undefined,
              until: filter.until ? new Date(filter.until).toISOString() : undefined,
              limit: 100,
            },
          },
        }),
      ),
    [q.toString()],
    3_000,
  );
  const set = (name: string, value: string) => navigate('runs', { ...filter, [name]: value });
  return (
    <section>
      <h1>Runs</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <input name="jobId" placeholder="job id" value={filter.jobId} onChange={(e) => set('jobId', e.currentTarget.value)} />
        <input name="agent" placeholder="agent" value={filter.agent} onChange={(e) => set('agent', e.currentTarget.value)} />
        <select name="kind" value={filter.kind} onChange={(e) => set('kind', e.currentTarget.value)}>
          <option value="">any kind</option>
          {KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select name="status" value={filter.status} onChange={(e) => set('status', e.currentTarget.value)}>
          <option value="">any outcome</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label>
          from <input name="since" type="datetime-local" value={filter.since} onChange={(e) => set('since', e.currentTarget.value)} />
        </label>
        <label>
          to <input name="until" type="datetime-local" value={filter.until} onChange={(e) => set('until', e.currentTarget.value)} />
        </label>
      </form>
      {error && <p class="form-error">{error}</p>}
      <table class="runs">
        <thead>
          <tr>
            <th>Started</th>
            <th>Kind</th>
            <th>Job</th>
            <th>Agent</th>
            <th>Status</th>
            <th>Duration</th>
            <th>Added</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <td>
                <a href={href(`runs/${r.id}`)}>
                  <Ago at={r.startedAt} />
                </a>
              </td>
              <td>{r.kind}</td>
              <td>{r.jobId ?? '—'}</td>
              <td>{r.agentName ?? '—'}</td>
              <td>
                <Status status={r.status} />
              </td>
              <td>{r.stats ? formatDuration(r.stats.durationSeconds) : ''}</td>
              <td>{r.stats ? formatBytes(r.stats.dataAdded) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
