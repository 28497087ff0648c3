// Snapshots per job; a snapshot's tree to browse, files to download, and restores of chosen
// paths or the whole snapshot to an agent (an overwriting restore may wait for approval).
import { useState } from 'preact/hooks';
import { api, idempotencyKey, ok, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useLoad } from '../hooks';
import { href, navigate, type Route } from '../router';
import { Ago, formatBytes } from '../ui';

export function Snapshots(props: { route: Route }) {
  const jobId = props.route.query.get('jobId') ?? '';
  const { data: jobs } = useLoad(() => ok(api.GET('/v1/jobs')), []);
  const { data, error } = useLoad(() => ok(api.GET('/v1/snapshots', { params: { query: { jobId: jobId ? Number(jobId) : undefined, limit: 200 } } })), [jobId]);
  return (
    <section>
      <h1>Snapshots</h1>
      <select name="jobId" value={jobId} onChange={(e) => navigate('snapshots', { jobId: e.currentTarget.value })}>
        <option value="">every job</option>
        {jobs?.items.map((j) => (
          <option key={j.id} value={String(j.id)}>
            {j.name}
          </option>
        ))}
      </select>
      {error && <p class="form-error">{error}</p>}
      <table class="snapshots">
        <thead>
          <tr>
            <th>Snapshot</th>
            <th>Job</th>
            <th>Time</th>
            <th>Host</th>
            <th>Paths</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((s) => (
            <tr key={s.id} data-snapshot={s.id}>
              <td>
                <a href={href(`snapshots/${s.id}`, { path: s.paths[0] ?? '/' })}>{s.id.slice(0, 12)}</a>
              </td>
              <td>{s.jobId ?? '—'}</td>
              <td>
                <Ago at={s.time} />
              </td>
              <td>{s.hostname}</td>
              <td>{s.paths.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const parentOf = (path: string) => path.replace(/\/[^/]+\/?$/, '') || '/';

export function SnapshotBrowser(props: { snapshotId: string; route: Route }) {
  const path = props.route.query.get('path') ?? '/';
  const [chosen, setChosen] = useState<string[]>([]);
  const { data, error } = useLoad(() => ok(api.GET('/v1/snapshots/{id}/tree', { params: { path: { id: props.snapshotId }, query: { path, limit: 1000 } } })), [props.snapshotId, path]);
  const toggle = (p: string) => setChosen((c) => (c.includes(p) ? c.filter((x) => x !== p) : [...c, p]));
  return (
    <section>
      <h1>
        Snapshot <code>{props.snapshotId.slice(0, 12)}</code>
      </h1>
      <p class="breadcrumb">
        <code data-path={path}>{path}</code>
        {path !== '/' && (
          <>
            {' '}
            <a href={href(`snapshots/${props.snapshotId}`, { path: parentOf(path) })}>up</a>
          </>
        )}
      </p>
      {error && <p class="form-error">{error}</p>}
      <table class="tree">
        <tbody>
          {data?.entries.map((e) => (
            <tr key={e.path} data-entry={e.name}>
              <td>
                <input type="checkbox" aria-label={`choose ${e.name}`} checked={chosen.includes(e.path)} onChange={() => toggle(e.path)} />
              </td>
              <td>
                {e.type === 'dir' ? (
                  <a href={href(`snapshots/${props.snapshotId}`, { path: e.path })}>{e.name}/</a>
                ) : e.type === 'file' ? (
                  <a href={`/v1/snapshots/${encodeURIComponent(props.snapshotId)}/file?path=${encodeURIComponent(e.path)}`} download={e.name}>
                    {e.name}
                  </a>
                ) : (
                  e.name
                )}
              </td>
              <td class="num">{e.type === 'file' ? formatBytes(e.size) : ''}</td>
              <td class="muted">{e.permissions}</td>
              <td>
                <Ago at={e.mtime} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <RestoreForm snapshotId={props.snapshotId} include={chosen} />
    </section>
  );
}

function RestoreForm(props: { snapshotId: string; include: string[] }) {
  const { data: agents } = useLoad(() => ok(api.GET('/v1/agents')), []);
  const [agent, setAgent] = useState('');
  const [target, setTarget] = useState('');
  const [overwrite, setOverwrite] = useState<'never' | 'if-newer' | 'always'>('never');
  const [errors, setErrors] = useState(NO_ERRORS);
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Schemas['RestoreRequest'] = {
      ...(agent ? { agent } : {}),
      ...(target ? { target, overwrite } : {}),
      ...(props.include.length ? { include: props.include } : {}),
    };
    try {
      const run = await ok(api.POST('/v1/snapshots/{id}/restore', { params: { path: { id: props.snapshotId }, header: { 'Idempotency-Key': idempotencyKey() } }, body }));
      navigate(`runs/${run.runId}`);
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="card restore" onSubmit={submit}>
      <h2>Restore {props.include.length ? `${props.include.length} chosen path(s)` : 'the whole snapshot'}</h2>
      <Field name="agent" label="To agent" errors={errors}>
        <select name="agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
          <option value="">the agent that made it</option>
          {agents?.items.map((a) => (
            <option key={a.name}>{a.name}</option>
          ))}
        </select>
      </Field>
      <Field name="target" label="Target directory" errors={errors} hint="Empty: a new directory under the agent's first restore root">
        <input name="target" value={target} onInput={(e) => setTarget(e.currentTarget.value)} placeholder="/srv/restore" />
      </Field>
      <Field name="overwrite" label="Files already there" errors={errors}>
        <select name="overwrite" value={overwrite} disabled={!target} onChange={(e) => setOverwrite(e.currentTarget.value as typeof overwrite)}>
          <option value="never">keep them (never overwrite)</option>
          <option value="if-newer">replace older ones</option>
          <option value="always">replace every differing file (may need approval)</option>
        </select>
      </Field>
      <GeneralError errors={errors} />
      <button type="submit">Restore</button>
    </form>
  );
}
