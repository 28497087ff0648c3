// Server scripts (pre-scripts and post-prune scripts): list, create, edit, delete.
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useConfirmedAction, useLoad } from '../hooks';
import { Ago } from '../ui';

type Script = Schemas['Script'];

export function Scripts() {
  const { data, error, reload } = useLoad(() => ok(api.GET('/v1/scripts')), []);
  const [editing, setEditing] = useState<Script | null>(null);
  const { error: listError, act } = useConfirmedAction(reload);
  const remove = (s: Script) => act(`Delete script ${s.name}?`, () => ok(api.DELETE('/v1/scripts/{id}', { params: { path: { id: s.id } } })));
  return (
    <section>
      <h1>Scripts</h1>
      {(error ?? listError) && <p class="form-error">{error ?? listError}</p>}
      <table class="scripts">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Description</th>
            <th>Timeout</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.items.map((s) => (
            <tr key={s.id} data-script={s.name}>
              <td>{s.id}</td>
              <td>{s.name}</td>
              <td>{s.description}</td>
              <td>{s.timeoutSeconds} s</td>
              <td>
                <Ago at={s.updatedAt} />
              </td>
              <td>
                <button onClick={() => setEditing(s)}>Edit</button>{' '}
                <button class="danger" onClick={() => void remove(s)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ScriptForm
        key={editing?.id ?? 'new'}
        editing={editing}
        onSaved={() => {
          setEditing(null);
          reload();
        }}
      />
    </section>
  );
}

function ScriptForm(props: { editing: Script | null; onSaved: () => void }) {
  const e0 = props.editing;
  const [form, setForm] = useState({ name: e0?.name ?? '', description: e0?.description ?? '', body: e0?.body ?? '', timeoutSeconds: String(e0?.timeoutSeconds ?? 600) });
  const [errors, setErrors] = useState(NO_ERRORS);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    const body: Schemas['ScriptWrite'] = { name: form.name, body: form.body, timeoutSeconds: Number(form.timeoutSeconds), ...(form.description ? { description: form.description } : {}) };
    try {
      if (e0) await ok(api.PUT('/v1/scripts/{id}', { params: { path: { id: e0.id } }, body }));
      else await ok(api.POST('/v1/scripts', { body }));
      if (!e0) setForm({ name: '', description: '', body: '', timeoutSeconds: '600' });
      props.onSaved();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} data-form={e0 ? 'edit-script' : 'create-script'}>
      <h2>{e0 ? `Edit script ${e0.name}` : 'New script'}</h2>
      <Field name="name" label="Name" errors={errors}>
        <input name="name" value={form.name} onInput={set('name')} />
      </Field>
      <Field name="description" label="Description" errors={errors}>
        <input name="description" value={form.description} onInput={set('description')} />
      </Field>
      <Field name="body" label="Script (sh, on the server worker)" errors={errors}>
        <textarea name="body" rows={5} value={form.body} onInput={set('body')} />
      </Field>
      <Field name="timeoutSeconds" label="Timeout (seconds)" errors={errors}>
        <input name="timeoutSeconds" type="number" value={form.timeoutSeconds} onInput={set('timeoutSeconds')} />
      </Field>
      <GeneralError errors={errors} />
      <button type="submit">{e0 ? 'Save script' : 'Create script'}</button>
    </form>
  );
}
