// Repositories: the list (each links to its page, with its schedules) and a form to create one (the password goes to the API once and is
// sealed there; the console never shows it again).
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useConfirmedAction, useLoad } from '../hooks';
import { href } from '../router';
import { Ago } from '../ui';

type Repository = Schemas['Repository'];

export function Repositories() {
  const { data, error, reload } = useLoad(() => ok(api.GET('/v1/repositories')), []);
  const [editing, setEditing] = useState<Repository | null>(null);
  const { error: listError, act } = useConfirmedAction(reload);
  const remove = (repo: Repository) => act(`Remove repository ${repo.name} from Backstop? Its data stays where it is.`, () => ok(api.DELETE('/v1/repositories/{id}', { params: { path: { id: repo.id } } })));
  return (
    <section>
      <h1>Repositories</h1>
      {(error ?? listError) && <p class="form-error">{error ?? listError}</p>}
      <table class="repositories">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Engine</th>
            <th>URL</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.items.map((r) => (
            <tr key={r.id} data-repository={r.name}>
              <td>{r.id}</td>
              <td>
                <a href={href(`repositories/${r.id}`)}>{r.name}</a>
              </td>
              <td>{r.engine}</td>
              <td>
                <code>{r.url}</code>
              </td>
              <td>
                <Ago at={r.createdAt} />
              </td>
              <td>
                <button onClick={() => setEditing(r)}>Edit</button>{' '}
                <button class="danger" onClick={() => void remove(r)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing ? (
        <EditRepository
          key={editing.id}
          repository={editing}
          onDone={() => {
            setEditing(null);
            reload();
          }}
        />
      ) : (
        <CreateRepository onCreated={reload} />
      )}
    </section>
  );
}

function CreateRepository(props: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', url: '', password: '', engine: 'restic' as Schemas['Engine'] });
  const [errors, setErrors] = useState(NO_ERRORS);
  const [created, setCreated] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    try {
      const r = await ok(api.POST('/v1/repositories', { body: form }));
      setCreated(`repository ${r.name} created (id ${r.id})`);
      setForm({ name: '', url: '', password: '', engine: form.engine });
      props.onCreated();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} data-form="create-repository">
      <h2>New repository</h2>
      <Field name="name" label="Name" errors={errors}>
        <input name="name" value={form.name} onInput={set('name')} />
      </Field>
      <Field name="engine" label="Engine" errors={errors}>
        <select name="engine" value={form.engine} onChange={set('engine')}>
          <option>restic</option>
          <option>borg</option>
          <option>pbs</option>
        </select>
      </Field>
      <Field name="url" label="Location" errors={errors} hint="A directory on the server, s3:…, sftp:…">
        <input name="url" value={form.url} onInput={set('url')} />
      </Field>
      <Field name="password" label="Password" errors={errors}>
        <input name="password" type="password" autoComplete="new-password" value={form.password} onInput={set('password')} />
      </Field>
      <GeneralError errors={errors} />
      {created && <p class="notice">{created}</p>}
      <button type="submit">Create repository</button>
    </form>
  );
}

/** What a repository lets change: its name and its post-prune script (PATCH, changed fields only). */
function EditRepository(props: { repository: Repository; onDone: () => void }) {
  const [name, setName] = useState(props.repository.name);
  const [script, setScript] = useState(props.repository.postPruneScript ?? '');
  const [errors, setErrors] = useState(NO_ERRORS);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    const changes: Schemas['RepositoryUpdate'] = {};
    if (name !== props.repository.name) changes.name = name;
    if (script !== (props.repository.postPruneScript ?? '')) changes.postPruneScript = script.trim() ? script : null;
    try {
      if (Object.keys(changes).length) await ok(api.PATCH('/v1/repositories/{id}', { params: { path: { id: props.repository.id } }, body: changes }));
      props.onDone();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} data-form="edit-repository">
      <h2>Edit repository {props.repository.name}</h2>
      <Field name="name" label="Name" errors={errors}>
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field name="postPruneScript" label="Post-prune script" errors={errors}>
        <input name="postPruneScript" value={script} onInput={(e) => setScript(e.currentTarget.value)} />
      </Field>
      <GeneralError errors={errors} />
      <button type="submit">Save repository</button>{' '}
      <button type="button" class="secondary" onClick={props.onDone}>
        Cancel
      </button>
    </form>
  );
}
