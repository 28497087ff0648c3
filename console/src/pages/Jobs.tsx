// Jobs: the list with a "Run now" button, and a form to create one.
import { useState } from 'preact/hooks';
import { api, idempotencyKey, ok, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, lines, NO_ERRORS } from '../forms';
import { useLoad } from '../hooks';
import { href, navigate } from '../router';
import { Status } from '../ui';

type Job = Schemas['Job'];

export function Jobs() {
  const { data, error, reload } = useLoad(() => ok(api.GET('/v1/jobs')), []);
  const [runError, setRunError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Job | null>(null);
  const remove = async (job: Job) => {
    if (!window.confirm(`Delete job ${job.name}? Its snapshots and runs stay.`)) return;
    setRunError(null);
    try {
      await ok(api.DELETE('/v1/jobs/{id}', { params: { path: { id: job.id } } }));
      reload();
    } catch (e) {
      setRunError(e instanceof Error ? e.message : String(e));
    }
  };
  const run = async (id: number) => {
    try {
      const r = await ok(api.POST('/v1/jobs/{id}/run', { params: { path: { id }, header: { 'Idempotency-Key': idempotencyKey() } } }));
      navigate(`runs/${r.runId}`);
    } catch (e) {
      setRunError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section>
      <h1>Jobs</h1>
      {(error ?? runError) && <p class="form-error">{error ?? runError}</p>}
      <table class="jobs">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Agent</th>
            <th>Repository</th>
            <th>Paths</th>
            <th>Last</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.items.map((j) => (
            <tr key={j.id} data-job={j.name}>
              <td>{j.id}</td>
              <td>
                <a href={href(`jobs/${j.id}`)}>{j.name}</a>
              </td>
              <td>{j.agent}</td>
              <td>{j.repositoryId}</td>
              <td>{j.paths.join(', ')}</td>
              <td>
                <Status status={j.health?.lastRunStatus} />
              </td>
              <td>
                <button onClick={() => void run(j.id)}>Run now</button> <button onClick={() => setEditing(j)}>Edit</button>{' '}
                <button class="danger" onClick={() => void remove(j)}>
                  Delete
                </button>{' '}
                <a href={href('snapshots', { jobId: j.id })}>snapshots</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <JobForm
        key={editing?.id ?? 'new'}
        editing={editing}
        onSaved={() => {
          setEditing(null);
          reload();
        }}
        onCancel={() => setEditing(null)}
      />
    </section>
  );
}

/** The form's fields as text, from a job being edited or empty for a new one. */
function formOf(job: Job | null) {
  return {
    name: job?.name ?? '',
    agent: job?.agent ?? '',
    repositoryId: job ? String(job.repositoryId) : '',
    paths: job?.paths.join('\n') ?? '',
    excludes: job?.excludes.join('\n') ?? '',
    postHook: job?.postHook ?? '',
  };
}

/**
 * Creates a job, or edits one (PATCH with only the fields that changed: the API refuses an
 * empty change and a changed repository). Errors land at their fields either way.
 */
function JobForm(props: { editing: Job | null; onSaved: () => void; onCancel: () => void }) {
  const { data: repos } = useLoad(() => ok(api.GET('/v1/repositories')), []);
  const { data: agents } = useLoad(() => ok(api.GET('/v1/agents')), []);
  const [form, setForm] = useState(() => formOf(props.editing));
  const [errors, setErrors] = useState(NO_ERRORS);
  const [created, setCreated] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    try {
      if (props.editing) {
        const before = formOf(props.editing);
        const changes: Schemas['JobUpdate'] = {};
        if (form.name !== before.name) changes.name = form.name;
        if (form.agent !== before.agent) changes.agent = form.agent;
        if (form.paths !== before.paths) changes.paths = lines(form.paths);
        if (form.excludes !== before.excludes) changes.excludes = lines(form.excludes);
        if (form.postHook !== before.postHook) changes.postHook = form.postHook.trim() ? form.postHook : null;
        const j = await ok(api.PATCH('/v1/jobs/{id}', { params: { path: { id: props.editing.id } }, body: changes }));
        setCreated(`job ${j.name} saved`);
      } else {
        const j = await ok(
          api.POST('/v1/jobs', {
            body: {
              name: form.name,
              agent: form.agent || (agents?.items[0]?.name ?? ''),
              repositoryId: Number(form.repositoryId || repos?.items[0]?.id || 0),
              paths: lines(form.paths),
              ...(form.excludes.trim() ? { excludes: lines(form.excludes) } : {}),
              ...(form.postHook.trim() ? { postHook: form.postHook } : {}),
            },
          }),
        );
        setCreated(`job ${j.name} created (id ${j.id})`);
        setForm({ ...formOf(null), agent: form.agent, repositoryId: form.repositoryId });
      }
      props.onSaved();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} data-form={props.editing ? 'edit-job' : 'create-job'}>
      <h2>{props.editing ? `Edit job ${props.editing.name}` : 'New job'}</h2>
      <Field name="name" label="Name" errors={errors}>
        <input name="name" value={form.name} onInput={set('name')} />
      </Field>
      <Field name="agent" label="Agent" errors={errors}>
        <select name="agent" value={form.agent} onChange={set('agent')}>
          {agents?.items.map((a) => (
            <option key={a.name}>{a.name}</option>
          ))}
        </select>
      </Field>
      <Field name="repositoryId" label="Repository" errors={errors}>
        <select name="repositoryId" value={form.repositoryId} onChange={set('repositoryId')} disabled={props.editing !== null} title={props.editing ? "a job's repository does not change: its snapshots live there" : undefined}>
          {repos?.items.map((r) => (
            <option key={r.id} value={String(r.id)}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      <Field name="paths" label="Paths (one a line)" errors={errors}>
        <textarea name="paths" rows={3} value={form.paths} onInput={set('paths')} />
      </Field>
      <Field name="excludes" label="Excludes (one a line)" errors={errors}>
        <textarea name="excludes" rows={2} value={form.excludes} onInput={set('excludes')} />
      </Field>
      <Field name="postHook" label="Post hook (shell, on the agent)" errors={errors} hint="Runs after every backup, also a failed one; its output goes to the run log">
        <input name="postHook" value={form.postHook} onInput={set('postHook')} />
      </Field>
      <GeneralError errors={errors} />
      {created && <p class="notice">{created}</p>}
      <button type="submit">{props.editing ? 'Save job' : 'Create job'}</button>
      {props.editing && (
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      )}
    </form>
  );
}
