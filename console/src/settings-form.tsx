// The form shared by notification channels and plugin configurations: a name, a kind, and the
// kind's settings and secrets as JSON objects (the API checks them per kind and answers with
// errors at `body/settings/…`, shown at the settings field).
import { useState } from 'preact/hooks';
import { Field, GeneralError, NO_ERRORS, type FormErrors } from './forms';
import { parseJsonObject } from './json-field';

/**
 * What the generated types make of a free-form `type: object` (openapi-typescript renders it
 * as a record of `never`, which only `{}` satisfies; the spec means any JSON object, as
 * api/context.ts's FreeForm says for the server side).
 */
export type FreeFormSettings = Record<string, never>;

export interface SettingsWrite {
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  secrets?: Record<string, string>;
}

export function SettingsForm(props: { title: string; kindLabel: string; kinds?: readonly string[]; formName: string; submitLabel: string; onSubmit: (w: SettingsWrite) => Promise<FormErrors | null> }) {
  const [form, setForm] = useState({ name: '', kind: props.kinds?.[0] ?? '', settings: '{}', secrets: '' });
  const [errors, setErrors] = useState(NO_ERRORS);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const settings = parseJsonObject(form.settings);
    const secrets = parseJsonObject(form.secrets);
    const local: FormErrors = { fields: {}, general: null };
    if ('error' in settings) local.fields.settings = [settings.error];
    if ('error' in secrets) local.fields.secrets = [secrets.error];
    if ('error' in settings || 'error' in secrets) return setErrors(local);
    const result = await props.onSubmit({ name: form.name, kind: form.kind, settings: settings.value, ...(form.secrets.trim() ? { secrets: secrets.value as Record<string, string> } : {}) });
    setErrors(result ?? NO_ERRORS);
    if (!result) setForm({ name: '', kind: form.kind, settings: '{}', secrets: '' });
  };
  return (
    <form class="card" onSubmit={submit} data-form={props.formName}>
      <h2>{props.title}</h2>
      <Field name="name" label="Name" errors={errors}>
        <input name="name" value={form.name} onInput={set('name')} />
      </Field>
      <Field name={props.kindLabel.toLowerCase()} label={props.kindLabel} errors={errors}>
        {props.kinds ? (
          <select name="kind" value={form.kind} onChange={set('kind')}>
            {props.kinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        ) : (
          <input name="kind" value={form.kind} onInput={set('kind')} placeholder="pg_dump" />
        )}
      </Field>
      <Field name="settings" label="Settings (JSON)" errors={errors}>
        <textarea name="settings" rows={4} value={form.settings} onInput={set('settings')} />
      </Field>
      <Field name="secrets" label="Secrets (JSON, never shown again)" errors={errors}>
        <textarea name="secrets" rows={2} value={form.secrets} onInput={set('secrets')} />
      </Field>
      <GeneralError errors={errors} />
      <button type="submit">{props.submitLabel}</button>
    </form>
  );
}
