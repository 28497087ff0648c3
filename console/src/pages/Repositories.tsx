// Repositories: the list and a form to create one (the password goes to the API once and is
// sealed there; the console never shows it again).
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useLoad } from '../hooks';
import { Ago } from '../ui';

export function Repositories() {
  const { data, error, reload } = useLoad(() => ok(api.GET('/v1/repositories')), []);
  return (
    <section>
      <h1>Repositories</h1>
      {error && <p class="form-error">{error}</p>}
      <table class="repositories">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Engine</th>
            <th>URL</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((r) => (
            <tr key={r.id} data-repository={r.name}>
              <td>{r.id}</td>
              <td>{r.name}</td>
              <td>{r.engine}</td>
              <td>
                <code>{r.url}</code>
              </td>
              <td>
                <Ago at={r.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <CreateRepository onCreated={reload} />
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
