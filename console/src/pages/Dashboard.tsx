// At a glance: every job's health and its last 30 backups, agents, runs waiting for approval.
import { api, ok, type Schemas } from '../api';
import { useLoad } from '../hooks';
import { href } from '../router';
import { STRIP, stripsByJob } from '../strips';
import { Ago, Status } from '../ui';

async function loadDashboard() {
  const [jobs, agents, runs, waiting] = await Promise.all([
    ok(api.GET('/v1/jobs')),
    ok(api.GET('/v1/agents')),
    // One page of the newest backups feeds every strip: the API lists at most 500 at once.
    ok(api.GET('/v1/runs', { params: { query: { kind: 'backup', limit: 500 } } })),
    ok(api.GET('/v1/runs', { params: { query: { status: 'awaiting-approval', limit: 50 } } })),
  ]);
  return { jobs: jobs.items, agents: agents.items, strips: stripsByJob(runs.items), waiting: waiting.items };
}

export function Dashboard() {
  const { data, error } = useLoad(loadDashboard, [], 5_000);
  if (!data) return <p class={error ? 'form-error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const unreachable = data.agents.filter((a) => a.status !== 'reachable');
  return (
    <section>
      <h1>Dashboard</h1>
      <div class="tiles">
        <div class="tile" data-tile="jobs">
          <b>{data.jobs.length}</b> jobs, <b>{data.jobs.filter((j) => j.health?.stale).length}</b> stale
        </div>
        <div class="tile" data-tile="agents">
          <b>{data.agents.length - unreachable.length}</b> agents reachable, <b class={unreachable.length ? 'bad' : ''}>{unreachable.length}</b> unreachable
        </div>
        <div class="tile" data-tile="approvals">
          <b>{data.waiting.length}</b> runs waiting for approval
        </div>
      </div>
      {data.waiting.length > 0 && (
        <>
          <h2>Waiting for approval</h2>
          <ul class="approvals">
            {data.waiting.map((r) => (
              <li key={r.id}>
                <a href={href(`runs/${r.id}`)}>
                  {r.kind} on {r.agentName}
                </a>{' '}
                <Ago at={r.startedAt} />
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Jobs</h2>
      <table class="jobs-health">
        <thead>
          <tr>
            <th>Job</th>
            <th>Agent</th>
            <th>Last</th>
            <th>Last success</th>
            <th>Last failure</th>
            <th>Next run</th>
            <th>Last {STRIP} runs</th>
          </tr>
        </thead>
        <tbody>
          {data.jobs.map((j) => (
            <tr key={j.id} data-job={j.name} class={j.health?.stale ? 'stale' : ''}>
              <td>
                <a href={href(`jobs/${j.id}`)}>{j.name}</a>
                {j.health?.stale && <span class="badge bad">stale</span>}
              </td>
              <td>{j.agent}</td>
              <td>
                <Status status={j.health?.lastRunStatus} />
              </td>
              <td>
                <Ago at={j.health?.lastSuccessAt} />
              </td>
              <td>
                <Ago at={j.health?.lastFailureAt} />
              </td>
              <td>
                <Ago at={j.health?.nextRunAt} />
              </td>
              <td>
                <RunStrip runs={data.strips.get(j.id) ?? []} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Agents</h2>
      <ul class="agents">
        {data.agents.map((a) => (
          <li key={a.name} data-agent={a.name} class={a.status === 'reachable' ? 'good' : 'bad'}>
            {a.name}: {a.status} (seen <Ago at={a.lastSeenAt} />)
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Oldest left, newest right, one cell per run coloured by outcome. */
function RunStrip(props: { runs: Schemas['Run'][] }) {
  return (
    <span class="strip">
      {[...props.runs].reverse().map((r) => (
        <a key={r.id} href={href(`runs/${r.id}`)} class={`cell status-${r.status}`} title={`${r.status} ${r.startedAt}`} />
      ))}
    </span>
  );
}
